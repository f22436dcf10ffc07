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

    public static Guid ErrorHandlerOf(Guid failedJob) => FromName($"error-handler\n{failedJob}");

    public static Guid FlowStep(Guid flowJob, int attempt, string step) => FromName($"flow-step\n{flowJob}\n{attempt}\n{step}");
}
