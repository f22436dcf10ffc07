using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Triggers.Tests.Infrastructure;

/// <summary>
/// A Kafka-protocol listener that speaks only as far as SASL/GSSAPI needs: it answers ApiVersions, offers GSSAPI in
/// SaslHandshake, and refuses the first SaslAuthenticate token of each connection (the refusal names the token). The
/// mock cluster refuses GSSAPI before a client has opened a Kerberos context; this brings a real librdkafka client to
/// the point where it asks the KDC for the broker's service ticket (<c>kafka/localhost</c>) with the tickets it has,
/// which is what a test of ticket caches needs to see. No message ever flows.
/// </summary>
public sealed class GssapiBroker : IDisposable
{
    private const short ApiVersions = 18, SaslHandshake = 17, SaslAuthenticate = 36, SaslAuthenticationFailed = 58;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public GssapiBroker()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>The address to give a Kafka resource: by this host name the client asks for <c>kafka/localhost</c>.</summary>
    public string BootstrapServer => $"localhost:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            try
            {
                while (await ReadFrameAsync(stream) is { } request)
                {
                    var apiKey = BinaryPrimitives.ReadInt16BigEndian(request);
                    var correlationId = BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(4));
                    var reply = new Reply(correlationId);
                    switch (apiKey)
                    {
                        case ApiVersions: // v3 body: error, compact array of (key, min, max, no tags), throttle, no tags
                            reply.Int16(0).Byte(4);
                            foreach (var (key, max) in new (short, short)[] { (ApiVersions, 3), (SaslHandshake, 1), (SaslAuthenticate, 1) })
                                reply.Int16(key).Int16(0).Int16(max).Byte(0);
                            reply.Int32(0).Byte(0);
                            break;
                        case SaslHandshake: // v1: error, [mechanisms]
                            reply.Int16(0).Int32(1).String("GSSAPI");
                            break;
                        case SaslAuthenticate: // v1: error, message, auth bytes, session lifetime; then the client gives up
                            reply.Int16(SaslAuthenticationFailed).String("test broker: GSSAPI token received and refused").Int32(0).Int64(0);
                            break;
                        default:
                            return;
                    }
                    await stream.WriteAsync(reply.ToFrame());
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
        }
    }

    private static async Task<byte[]?> ReadFrameAsync(NetworkStream stream)
    {
        var size = new byte[4];
        if (!await ReadExactlyAsync(stream, size)) return null;
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        return await ReadExactlyAsync(stream, frame) ? frame : null;
    }

    private static async Task<bool> ReadExactlyAsync(NetworkStream stream, byte[] buffer)
    {
        try { await stream.ReadExactlyAsync(buffer); return true; }
        catch (EndOfStreamException) { return false; }
    }

    /// <summary>A response: size, correlation id (header v0, which ApiVersions always uses), then the body.</summary>
    private sealed class Reply(int correlationId)
    {
        private readonly MemoryStream _body = new();

        public Reply Byte(byte value) { _body.WriteByte(value); return this; }
        public Reply Int16(short value) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteInt16BigEndian(b, value); _body.Write(b); return this; }
        public Reply Int32(int value) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32BigEndian(b, value); _body.Write(b); return this; }
        public Reply Int64(long value) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteInt64BigEndian(b, value); _body.Write(b); return this; }
        public Reply String(string value) { var bytes = Encoding.UTF8.GetBytes(value); Int16((short)bytes.Length); _body.Write(bytes); return this; }

        public byte[] ToFrame()
        {
            var frame = new byte[8 + _body.Length];
            BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), correlationId);
            _body.ToArray().CopyTo(frame, 8);
            return frame;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
