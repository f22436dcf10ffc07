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

    /// <summary>Waits until a server started by a test accepts connections on <paramref name="port"/>.</summary>
    public static void WaitUntilListening(int port, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            try
            {
                using var client = new TcpClient("127.0.0.1", port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }
}
