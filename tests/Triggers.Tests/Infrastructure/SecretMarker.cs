namespace Triggers.Tests.Infrastructure;

/// <summary>
/// Every secret the tests give the service starts with this marker, so test.sh can check the output of the
/// whole test run (the in-process silos' logs included) for a leaked secret.
/// </summary>
public static class SecretMarker
{
    public const string Prefix = "s3cret-never-shown-";
}
