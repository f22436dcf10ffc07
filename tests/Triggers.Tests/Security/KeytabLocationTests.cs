using Triggers.Triggers.Kafka;
using Triggers.Validation;

namespace Triggers.Tests.Security;

/// <summary>keytab_path stays inside Kerberos:KeytabDirectory, whatever links lie along the way.</summary>
public sealed class KeytabLocationTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("keytabs-");

    private string Keytabs => Path.Combine(_root.FullName, "keytabs");

    public KeytabLocationTests()
    {
        Directory.CreateDirectory(Keytabs);
        File.WriteAllText(Path.Combine(Keytabs, "triggers.keytab"), "x");
        File.WriteAllText(Path.Combine(_root.FullName, "secret.txt"), "x");
        Directory.CreateSymbolicLink(Path.Combine(Keytabs, "host"), "/"); // a directory link leading out
        File.CreateSymbolicLink(Path.Combine(Keytabs, "escape.keytab"), Path.Combine(_root.FullName, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(Keytabs, "inside.keytab"), "triggers.keytab");
    }

    private void Check(string path) => KeytabLocation.Check(
        new KafkaConnection { Brokers = ["k:9092"], Security = new KafkaSecurity { Label = KafkaSecurityLabel.SaslGssapi, KerberosPrincipal = "a@B", KeytabPath = path } }, Keytabs);

    [Fact]
    public void A_file_in_the_directory_or_a_link_to_one_is_accepted()
    {
        Check(Path.Combine(Keytabs, "triggers.keytab"));
        Check(Path.Combine(Keytabs, "inside.keytab"));
    }

    [Theory]
    [InlineData("host/etc/shadow")]
    [InlineData("escape.keytab")]
    [InlineData("../secret.txt")]
    public void A_path_that_leads_out_through_a_link_or_dot_dot_is_refused(string relative)
    {
        var refused = Assert.Throws<InvalidInputException>(() => Check(Path.Combine(Keytabs, relative)));
        Assert.Equal("value.security.keytab_path", refused.Field);
    }

    public void Dispose() => _root.Delete(recursive: true);
}
