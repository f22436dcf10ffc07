using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Triggers.Jobs.Execution;

namespace Triggers.Silo.Extensions;

/// <summary>
/// <c>BASE_INTERNAL_URL</c> for this silo's jobs: <c>Workers:BaseInternalUrl</c>, or else the address the silo serves
/// its API on. Jobs share the silo's network, so a wildcard host (<c>0.0.0.0</c>, <c>[::]</c>, <c>*</c>, <c>+</c>)
/// becomes loopback; plain HTTP is preferred, as a certificate rarely names loopback.
/// </summary>
public sealed class ServedApiAddress(IServer server, IOptions<WorkerOptions> options) : IInternalApiAddress
{
    private readonly string? _configured = string.IsNullOrWhiteSpace(options.Value.BaseInternalUrl) ? null : options.Value.BaseInternalUrl.TrimEnd('/');
    private string? _served;

    // Read when the first job needs it: the server binds its addresses after the silo's services have started.
    public string? BaseUrl => _configured ?? (_served ??= Served());

    private string? Served()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses is null || addresses.Count == 0) return null;
        var bound = addresses.Select(BindingAddress.Parse).Where(a => !a.IsUnixPipe)
            .OrderBy(a => a.Scheme == "http" ? 0 : 1).FirstOrDefault();
        if (bound is null) return null;
        var host = bound.Host is "0.0.0.0" or "*" or "+" or "localhost" ? "127.0.0.1" : bound.Host is "[::]" ? "[::1]" : bound.Host;
        return $"{bound.Scheme}://{host}:{bound.Port}";
    }
}
