using System.Text;

namespace Triggers.Runtimes;

/// <summary>
/// Collects a job's stdout and stderr into one log in arrival order (chunk by chunk, so lines from the two streams
/// interleave roughly as they were written), capped so a chatty job cannot exhaust memory, while keeping the ends
/// of each stream apart: stderr's for error messages, stdout's for bash's result line.
/// </summary>
internal sealed class JobOutput
{
    public const int MaxLogChars = 1 << 20;
    private const int StdoutTailChars = MaxLogChars;
    private const int StderrTailChars = 8 << 10;

    private readonly Lock _gate = new();
    private readonly StringBuilder _log = new();
    private readonly Tail _stdoutTail = new(StdoutTailChars);
    private readonly Tail _stderrTail = new(StderrTailChars);
    private bool _truncated;
    private bool _abandoned;

    public string Logs
    {
        get
        {
            lock (_gate)
            {
                var logs = new StringBuilder(_log.Length + 200).Append(_log);
                if (_truncated) logs.Append(TruncationMarker);
                if (_abandoned) logs.Append("\n[the job ended but processes it left behind kept its output open; stopped reading]\n");
                return logs.ToString();
            }
        }
    }

    public string StdoutTail { get { lock (_gate) return _stdoutTail.ToString(); } }

    private static readonly string TruncationMarker = $"\n[logs truncated: only the first {MaxLogChars / 1024} KiB are kept]\n";

    /// <summary>Adds a line to a log built line by line (a dedicated worker's), keeping to the same cap and marking
    /// the cut the same way.</summary>
    public static void AppendLine(System.Text.StringBuilder log, string line)
    {
        var room = MaxLogChars - log.Length;
        if (room <= 0) return;
        if (line.Length + 1 <= room) log.Append(line).Append('\n');
        else log.Append(line.AsSpan(0, Math.Min(line.Length, room))).Append(TruncationMarker);
    }

    public string StderrTail { get { lock (_gate) return _stderrTail.ToString(); } }

    /// <summary>Reads one stream to its end. Never throws: a stream closed under it just ends the pump.</summary>
    public async Task PumpAsync(StreamReader reader, bool isStderr)
    {
        var buffer = new char[8192];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory())) > 0)
                Append(buffer.AsSpan(0, read), isStderr);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
    }

    public void MarkAbandoned()
    {
        lock (_gate) _abandoned = true;
    }

    public void Append(ReadOnlySpan<char> text, bool isStderr)
    {
        lock (_gate)
        {
            (isStderr ? _stderrTail : _stdoutTail).Append(text);
            var room = MaxLogChars - _log.Length;
            if (text.Length > room) _truncated = true;
            _log.Append(text[..Math.Min(room, text.Length)]);
        }
    }

    /// <summary>The last <c>capacity</c> characters of a stream.</summary>
    private sealed class Tail(int capacity)
    {
        private readonly StringBuilder _text = new();

        public void Append(ReadOnlySpan<char> text)
        {
            _text.Append(text);
            // Trim in batches rather than on every append.
            if (_text.Length > 2 * capacity) _text.Remove(0, _text.Length - capacity);
        }

        public override string ToString() =>
            _text.Length > capacity ? _text.ToString(_text.Length - capacity, capacity) : _text.ToString();
    }
}
