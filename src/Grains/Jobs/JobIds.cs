using System.Security.Cryptography;
using System.Text;

namespace Triggers.Jobs;

/// <summary>
/// Name-based (version 5 style) job ids: the same name always gives the same id, so whatever creates a job
/// twice — a redelivered message, a retried handler call, a rerun flow step — finds the job it already made.
/// </summary>
public static class JobIds
{
    public static Guid FromName(string name)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.UTF8.GetBytes(name), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>
    /// A name-based id that sorts by <paramref name="position"/> within <paramref name="group"/> (say, a Kafka partition):
    /// 4 bytes from the group's hash, 28 bits of the position, then 62 bits of the name's hash. A partition's new jobs
    /// land next to each other in the jobs table's primary key, where fully random ids would make every insert touch
    /// its own page once the index outgrows memory (a third of the ingest rate with 10 million jobs stored).
    /// </summary>
    /// <param name="groupPrefix">The group's 4 bytes, from <see cref="GroupPrefix"/> (computed once per group).</param>
    public static Guid Ordered(uint groupPrefix, long position, string name)
    {
        Span<byte> nameHash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.UTF8.GetBytes(name), nameHash);
        Span<byte> id = stackalloc byte[16];
        var p = (uint)(position & 0x0FFF_FFFF);
        id[0] = (byte)(groupPrefix >> 24);
        id[1] = (byte)(groupPrefix >> 16);
        id[2] = (byte)(groupPrefix >> 8);
        id[3] = (byte)groupPrefix;
        id[4] = (byte)(p >> 20);
        id[5] = (byte)(p >> 12);
        id[6] = (byte)(0x80 | ((p >> 8) & 0x0F)); // version 8 (RFC 9562's custom layout) in the high nibble
        id[7] = (byte)p;
        nameHash[..8].CopyTo(id[8..]);
        id[8] = (byte)((id[8] & 0x3F) | 0x80); // RFC variant
        return new Guid(id, bigEndian: true);
    }

    /// <summary>The first 4 bytes of the group name's hash, for <see cref="Ordered"/>.</summary>
    public static uint GroupPrefix(string group)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.UTF8.GetBytes(group), hash);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(hash);
    }

    public static Guid ErrorHandlerOf(Guid failedJob) => FromName($"error-handler\n{failedJob}");

    public static Guid FlowStep(Guid flowJob, int attempt, string step) => FromName($"flow-step\n{flowJob}\n{attempt}\n{step}");
}
