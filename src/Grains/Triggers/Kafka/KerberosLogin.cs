using System.Diagnostics;

namespace Triggers.Triggers.Kafka;

/// <summary>
/// Runs kinit once before a Kerberos client starts. librdkafka runs kinit too, but reports only that it failed;
/// this keeps kinit's own words ("Client not found in Kerberos database", "Cannot contact any KDC", ...) for the
/// trigger's status and the connection test. The ticket lands in the client's own cache.
/// </summary>
public static class KerberosLogin
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    public static void Check(string keytab, string principal, string ticketCache)
    {
        Process kinit;
        try
        {
            kinit = Process.Start(new ProcessStartInfo("kinit", ["-c", ticketCache, "-k", "-t", keytab, principal])
            {
                RedirectStandardError = true, RedirectStandardOutput = true,
            })!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("kinit was not found: install the Kerberos client (Debian: krb5-user) on the silos.");
        }
        using (kinit)
        {
            var errors = kinit.StandardError.ReadToEndAsync();
            _ = kinit.StandardOutput.ReadToEndAsync();
            if (!kinit.WaitForExit(Limit))
            {
                kinit.Kill(entireProcessTree: true);
                throw new InvalidOperationException(KerberosHints.Explain($"kinit for {principal} did not finish within {Limit.TotalSeconds:0} s: Cannot contact any KDC."));
            }
            if (kinit.ExitCode != 0)
                throw new InvalidOperationException(KerberosHints.Explain($"kinit for {principal} failed: {errors.Result.Trim()}"));
        }
    }
}
