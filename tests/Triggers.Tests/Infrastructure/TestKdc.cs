using System.Diagnostics;

namespace Triggers.Tests.Infrastructure;

/// <summary>
/// A real MIT Kerberos KDC (Debian's krb5-kdc) for one test: its own realm, database and port in a temporary
/// folder, a client principal with a keytab, and a krb5.conf for processes that should use it (KRB5_CONFIG).
/// </summary>
public sealed class TestKdc : IDisposable
{
    public const string Realm = "TRIGGERS.TEST";
    public const string Principal = $"triggers@{Realm}";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kdc-");
    private readonly Process _kdc;
    private readonly System.Text.StringBuilder _log = new();

    /// <summary>What the KDC logged, e.g. the tickets it issued.</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    public TestKdc()
    {
        var port = FreePorts.Next();
        File.WriteAllText(Krb5Conf, $"""
            [libdefaults]
                default_realm = {Realm}
                dns_lookup_realm = false
                dns_lookup_kdc = false
                dns_canonicalize_hostname = false
                rdns = false
                udp_preference_limit = 1
            [realms]
                {Realm} = {"{"}
                    kdc = 127.0.0.1:{port}
                {"}"}
            """);
        File.WriteAllText(KdcConf, $"""
            [logging]
                kdc = STDERR
            [kdcdefaults]
                kdc_listen = {port}
                kdc_tcp_listen = {port}
            [realms]
                {Realm} = {"{"}
                    database_name = {Path.Combine(_dir.FullName, "principal")}
                    key_stash_file = {Path.Combine(_dir.FullName, "stash")}
                    acl_file = {Path.Combine(_dir.FullName, "kadm5.acl")}
                {"}"}
            """);
        Run("kdb5_util", "create", "-s", "-r", Realm, "-P", "test-master-password");
        Run("kadmin.local", "-r", Realm, "-q", $"addprinc -randkey kafka/localhost@{Realm}");
        AddClient(Principal, KeytabPath);
        _kdc = Process.Start(Start("krb5kdc", "-n", "-r", Realm))!;
        _kdc.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _kdc.BeginErrorReadLine();
        _kdc.BeginOutputReadLine();
        FreePorts.WaitUntilListening(port);
    }

    public string Krb5Conf => Path.Combine(_dir.FullName, "krb5.conf");
    private string KdcConf => Path.Combine(_dir.FullName, "kdc.conf");
    public string KeytabPath => Path.Combine(_dir.FullName, "triggers.keytab");
    public string KeytabBase64 => Convert.ToBase64String(File.ReadAllBytes(KeytabPath));

    /// <summary>Adds a client principal (<c>name@TRIGGERS.TEST</c>) and returns its keytab, base64.</summary>
    public string AddClient(string name)
    {
        var keytab = Path.Combine(_dir.FullName, $"{name}.keytab");
        AddClient($"{name}@{Realm}", keytab);
        return Convert.ToBase64String(File.ReadAllBytes(keytab));
    }

    private void AddClient(string principal, string keytab)
    {
        Run("kadmin.local", "-r", Realm, "-q", $"addprinc -randkey {principal}");
        Run("kadmin.local", "-r", Realm, "-q", $"ktadd -k {keytab} {principal}");
    }

    /// <summary>What <c>klist</c> shows of a ticket cache: its principal and tickets.</summary>
    public string List(string cache)
    {
        using var klist = Process.Start(Start("klist", "-c", cache))!;
        var output = klist.StandardOutput.ReadToEndAsync();
        var errors = klist.StandardError.ReadToEndAsync();
        klist.WaitForExit();
        return output.Result + errors.Result;
    }

    private ProcessStartInfo Start(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["KRB5_CONFIG"] = Krb5Conf;
        start.Environment["KRB5_KDC_PROFILE"] = KdcConf;
        return start;
    }

    private void Run(string command, params string[] arguments)
    {
        using var process = Process.Start(Start(command, arguments))!;
        var errors = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed: {errors.Result}");
    }

    /// <summary>Takes the KDC off the network, as an outage would.</summary>
    public void Stop()
    {
        try { _kdc.Kill(); _kdc.WaitForExit(); } catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        Stop();
        _kdc.Dispose();
        _dir.Delete(recursive: true);
    }
}
