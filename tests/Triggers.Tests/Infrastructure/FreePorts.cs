using System.Net;
using System.Net.Sockets;

namespace Triggers.Tests.Infrastructure;

public static class FreePorts
{
    /// <summary>A TCP port nothing listens on right now, so parallel silos don't collide.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
