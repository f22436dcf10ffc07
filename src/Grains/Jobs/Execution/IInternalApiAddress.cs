namespace Triggers.Jobs.Execution;

/// <summary>Where a job reaches this cluster's API: <c>BASE_INTERNAL_URL</c>. The host that serves the API registers it
/// (the silo: <c>ServedApiAddress</c>, which also reads <c>Workers:BaseInternalUrl</c>).</summary>
public interface IInternalApiAddress
{
    /// <summary>The API's base URL as a job sees it, or null when there is none to give.</summary>
    string? BaseUrl { get; }
}
