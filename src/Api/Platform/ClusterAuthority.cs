using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Triggers.Api.Platform;

/// <summary>
/// The embedded default's own cluster authority: on first start a private certificate authority and one member
/// certificate it issued are made into a folder (<c>.data/cluster-tls</c>), with the file names of
/// <c>scripts/cluster-certs.sh</c> and cert-manager (<c>ca.crt</c>, <c>ca.key</c>, <c>tls.crt</c>, <c>tls.key</c>), so
/// that mutual TLS between silos and clients is on without anyone making certificates. The folder is owner-only: a job,
/// which runs as another user, cannot read the key that would let it join the cluster.
/// </summary>
public static class ClusterAuthority
{
    private static readonly TimeSpan Validity = TimeSpan.FromDays(3650);
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The folder's certificates, made first when it has none. Several silos starting at once on one machine
    /// agree on one authority: each makes its set in a folder of its own and only the first rename wins.</summary>
    public static ClusterCertificateFiles LoadOrCreate(string directory)
    {
        var full = Path.GetFullPath(directory);
        var files = new ClusterCertificateFiles(full);
        if (Directory.Exists(full))
        {
            if (new DirectoryInfo(full).LinkTarget is not null)
                throw new InvalidOperationException($"The cluster's certificate folder {full} is a symbolic link; remove it and start again.");
            return files.ExistOrExplain();
        }
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var staging = Directory.CreateDirectory(full + ".new-" + Guid.NewGuid().ToString("N")[..8]).FullName;
        try
        {
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(staging, OwnerOnly);
            Write(new ClusterCertificateFiles(staging));
            try { Directory.Move(staging, full); }
            catch (IOException) when (Directory.Exists(full)) { } // another silo on this machine made it first
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return files.ExistOrExplain();
    }

    private static void Write(ClusterCertificateFiles files)
    {
        var now = DateTimeOffset.UtcNow.AddMinutes(-5); // a peer whose clock is a little behind still accepts it
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest("CN=orleans-triggers cluster CA", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        authorityRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, false));
        using var authority = authorityRequest.CreateSelfSigned(now, now + Validity);

        using var memberKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var memberRequest = new CertificateRequest("CN=orleans-triggers", memberKey, HashAlgorithmName.SHA256);
        memberRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        memberRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        memberRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client authentication
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("orleans-triggers");
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        memberRequest.CertificateExtensions.Add(names.Build());
        memberRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        using var member = memberRequest.Create(authority, now, now + Validity, RandomNumberGenerator.GetBytes(16));

        WriteOwnerOnly(files.AuthorityKey, authorityKey.ExportPkcs8PrivateKeyPem());
        WriteOwnerOnly(files.Key, memberKey.ExportPkcs8PrivateKeyPem());
        WriteOwnerOnly(files.CertificateAuthority, authority.ExportCertificatePem());
        WriteOwnerOnly(files.Certificate, member.ExportCertificatePem());
    }

    private static void WriteOwnerOnly(string path, string pem)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var file = new FileStream(path, options);
        file.Write(System.Text.Encoding.ASCII.GetBytes(pem + "\n"));
    }
}

/// <summary>Where a cluster's TLS files are, as <c>Orleans:Tls</c> configures them.</summary>
public sealed record ClusterCertificateFiles(string Directory)
{
    public string CertificateAuthority => Path.Combine(Directory, "ca.crt");
    public string AuthorityKey => Path.Combine(Directory, "ca.key");
    public string Certificate => Path.Combine(Directory, "tls.crt");
    public string Key => Path.Combine(Directory, "tls.key");

    internal ClusterCertificateFiles ExistOrExplain() =>
        File.Exists(Certificate) && File.Exists(Key) && File.Exists(CertificateAuthority)
            ? this
            : throw new InvalidOperationException(
                $"The cluster's certificate folder {Directory} lacks tls.crt, tls.key or ca.crt; delete the folder to have new ones made.");
}
