using System.Diagnostics;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.Infrastructure;

/// <summary>
/// A mock Kafka broker reachable only through TLS: stunnel4 in front of it with a certificate from a test CA
/// (for "localhost", so hostname verification is on), and the broker advertising the TLS port.
/// </summary>
public sealed class TlsKafka : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("tls-kafka-");
    private readonly Process _stunnel;

    public TlsKafka(bool requireClientCertificate)
    {
        Kafka = new MockKafkaCluster(brokers: 1);
        MakeCertificates();
        var brokerPort = int.Parse(Kafka.BootstrapServers.Split(',')[0].Split(':')[1]);
        var tlsPort = FreePorts.Next();
        System.IO.File.WriteAllText(File("stunnel.conf"), $"""
            foreground = yes
            pid =
            [kafka]
            accept = 127.0.0.1:{tlsPort}
            connect = 127.0.0.1:{brokerPort}
            cert = {File("server.pem")}
            key = {File("server.key")}
            {(requireClientCertificate ? $"verifyChain = yes\nrequireCert = yes\nCAfile = {File("ca.pem")}" : "")}
            """);
        _stunnel = Process.Start(new ProcessStartInfo("stunnel4", [File("stunnel.conf")]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        _stunnel.ErrorDataReceived += (_, _) => { };
        _stunnel.BeginErrorReadLine();
        _stunnel.OutputDataReceived += (_, _) => { };
        _stunnel.BeginOutputReadLine();
        FreePorts.WaitUntilListening(tlsPort);
        Kafka.AdvertiseBroker(1, "localhost", tlsPort);
        Bootstrap = $"localhost:{tlsPort}";
    }

    public MockKafkaCluster Kafka { get; }
    public string Bootstrap { get; }
    public string CaPem => System.IO.File.ReadAllText(File("ca.pem"));
    public string OtherCaPem => System.IO.File.ReadAllText(File("other-ca.pem"));
    public string ClientCertificatePem => System.IO.File.ReadAllText(File("client.pem"));
    public string ClientKeyPem => System.IO.File.ReadAllText(File("client.key"));

    private string File(string name) => Path.Combine(_dir.FullName, name);

    private void MakeCertificates()
    {
        System.IO.File.WriteAllText(File("san.ext"), "subjectAltName=DNS:localhost\n");
        Run("req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=Triggers-Test-CA");
        Run("req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 2 -subj /CN=Some-Other-CA");
        Run("req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost");
        Run("x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext");
        Run("req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=triggers-client");
        Run("x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2");
    }

    private void Run(string arguments)
    {
        using var openssl = Process.Start(new ProcessStartInfo("openssl", arguments.Split(' '))
        {
            WorkingDirectory = _dir.FullName, RedirectStandardError = true, RedirectStandardOutput = true,
        })!;
        var errors = openssl.StandardError.ReadToEndAsync();
        openssl.WaitForExit();
        if (openssl.ExitCode != 0) throw new InvalidOperationException($"openssl {arguments} failed: {errors.Result}");
    }

    public void Dispose()
    {
        try { _stunnel.Kill(); } catch (InvalidOperationException) { }
        _stunnel.Dispose();
        Kafka.Dispose();
        _dir.Delete(recursive: true);
    }
}
