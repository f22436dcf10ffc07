using System.Net;
using System.Net.Sockets;

namespace Triggers.Tests.Infrastructure;

public static class FreePorts
{
    // Below Linux's ephemeral range (32768-60999), so that no outgoing connection (to PostgreSQL, Kafka, a silo) can
    // take a port between the moment it is handed out and the moment a test's server binds it.
    private const int First = 20_000, Last = 32_767;
    private static int _next = First + Random.Shared.Next(Last - First);

    /// <summary>A TCP port nothing listens on right now and no other caller in this process was given.</summary>
    public static int Next()
    {
        for (var tries = 0; tries < Last - First; tries++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % (Last - First));
            try
            {
                using var listener = new TcpListener(IPAddress.Any, port);
                listener.Start();
                return port;
            }
            catch (SocketException) { } // taken: try the next one
        }
        throw new InvalidOperationException($"No free TCP port between {First} and {Last}.");
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
