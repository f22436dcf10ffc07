using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Triggers.Security;

namespace Triggers.Tests.Security;

/// <summary>
/// Silos starting together on a fresh machine (the tests do, and so can a laptop's run.sh with a second silo) all end
/// up with the one generated key file, complete, whoever wrote it.
/// </summary>
public sealed class SecretKeyFileTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("secret-key-");

    public void Dispose() => _data.Delete(recursive: true);

    [Fact]
    public async Task Silos_generating_the_key_file_at_the_same_moment_all_read_one_complete_key()
    {
        for (var round = 0; round < 20; round++)
        {
            var keyFile = Path.Combine(_data.FullName, $"round-{round}", "secrets.key");
            using var start = new Barrier(8);
            var protectors = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                return new SecretProtector(Options.Create(new SecretsOptions { KeyFile = keyFile }), NullLogger<SecretProtector>.Instance);
            })));

            var context = SecretContext.Of("ws", "u/test/kafka", "password");
            var sealedByFirst = protectors[0].Protect("s3cret", context);
            Assert.All(protectors, p => Assert.Equal("s3cret", p.Unprotect(sealedByFirst, context)));
            Assert.Equal(["secrets.key"], Directory.GetFiles(Path.GetDirectoryName(keyFile)!).Select(Path.GetFileName));
        }
    }
}
