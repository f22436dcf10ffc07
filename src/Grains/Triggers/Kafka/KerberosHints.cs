namespace Triggers.Triggers.Kafka;

/// <summary>Adds the likely fix to Kerberos failures, keeping the original text (operators search for it).</summary>
public static class KerberosHints
{
    public static string Explain(string error)
    {
        bool Has(string text) => error.Contains(text, StringComparison.OrdinalIgnoreCase);
        var hint =
            Has("Permission denied") ? "The silo's user cannot read the keytab: make it readable (Kubernetes: defaultMode 0644 on the Secret volume) or use keytab_base64." :
            Has("not found in Kerberos database") && Has("Server") ? "The KDC does not know the broker's service principal: check kerberos_service_name, and set dns_canonicalize_hostname = false (and rdns = false) in krb5.conf when reverse DNS gives other host names." :
            Has("not found in Kerberos database") && Has("Client") ? "The KDC does not know kerberos_principal: check its spelling and realm, and that the keytab holds its key." :
            Has("Cannot contact any KDC") || Has("Cannot find KDC") ? "No KDC answered: check the realm's kdc entries in /etc/krb5.conf (or KRB5_CONFIG) and that the silo can reach them." :
            Has("no suitable keys") || Has("Key table entry not found") ? "The keytab holds no key for kerberos_principal: check the principal's spelling and realm, or export its key into the keytab (kadmin ktadd)." :
            Has("Preauthentication failed") ? "The keytab's key for kerberos_principal is out of date: export it again (kadmin ktadd) after any password change." :
            null;
        return hint is null ? error : $"{error} Hint: {hint}";
    }
}
