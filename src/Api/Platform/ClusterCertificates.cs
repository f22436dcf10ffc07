using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Orleans.Connections.Security;

namespace Triggers.Api.Platform;

/// <summary>
/// Mutual TLS between silos and from API front ends to gateways (configuration <c>Orleans:Tls</c>): each process presents
/// <c>Certificate</c> (PEM, with its <c>Key</c>) and accepts only peers whose certificate the cluster's own
/// <c>CertificateAuthority</c> (one or more PEM certificates) issued. Peers are addressed by IP, so the identity checked is the issuer, not a host name.
/// </summary>
public sealed class ClusterCertificates
{
    private readonly X509Certificate2Collection _authorities;

    private ClusterCertificates(X509Certificate2 certificate, X509Certificate2Collection authorities) => (Certificate, _authorities) = (certificate, authorities);

    /// <summary>This process's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The configured certificates, or null when neither <c>Orleans:Tls:Certificate</c> nor
    /// <c>Orleans:Tls:Directory</c> (a folder holding <c>tls.crt</c>, <c>tls.key</c> and <c>ca.crt</c>) is set (TLS off).</summary>
    /// <exception cref="InvalidOperationException">TLS is asked for but a file is missing or unreadable.</exception>
    public static ClusterCertificates? FromConfiguration(IConfiguration config)
    {
        var section = config.GetSection("Orleans:Tls");
        var folder = section["Directory"] is { Length: > 0 } directory ? new ClusterCertificateFiles(directory) : null;
        if (string.IsNullOrWhiteSpace(section["Certificate"]) && folder is null) return null;
        // A file named on its own wins over the folder's.
        string Required(string key, string? inFolder) => section[key] is { Length: > 0 } value
            ? value
            : inFolder ?? throw new InvalidOperationException($"Orleans:Tls:Certificate is set, so Orleans:Tls:{key} is needed too (a PEM file).");
        var certificateFile = Required("Certificate", folder?.Certificate);
        var keyFile = Required("Key", folder?.Key);
        var authorityFile = Required("CertificateAuthority", folder?.CertificateAuthority);
        try
        {
            // Loaded through PKCS#12 so the private key is usable by SslStream on every platform.
            using var pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            // The authority file may hold several certificates: during a change of authority, both.
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(authorityFile);
            if (authorities.Count == 0) throw new IOException($"{authorityFile} holds no PEM certificate.");
            return new ClusterCertificates(certificate, authorities);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new InvalidOperationException($"The cluster's TLS files (Orleans:Tls) cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Orleans' TLS settings for a silo or a client: a certificate from both ends, checked against the authority.</summary>
    public void Configure(TlsOptions options)
    {
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateValidation = (certificate, _, _) => Trusts(certificate);
        // Peers are dialled by IP; the name only has to be something, as Trusts checks the issuer instead.
        options.OnAuthenticateAsClient = (_, client) => client.TargetHost = "orleans-triggers";
    }

    /// <summary>Whether the cluster's authority issued <paramref name="peer"/> (and it is in date).</summary>
    public bool Trusts(X509Certificate2? peer)
    {
        if (peer is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // a private CA publishes no revocation lists
        return chain.Build(peer);
    }
}
