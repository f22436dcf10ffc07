using System.Reflection;
using System.Runtime.InteropServices;

namespace Triggers.Kafka.Native;

/// <summary>
/// Lets this assembly call librdkafka functions that Confluent.Kafka does not wrap (the mock cluster API).
/// Confluent.Kafka picks one of several native builds at run time (on Debian it falls back to a CentOS build),
/// so a plain <c>DllImport("librdkafka")</c> would not find it: we bind to whichever file it actually loaded.
/// </summary>
internal static class Librdkafka
{
    public const string Name = "librdkafka";
    private static readonly Lazy<string> LoadedPath = new(FindLoadedPath);
    private static int _resolverInstalled;

    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _resolverInstalled, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(Librdkafka).Assembly, Resolve);
    }

    /// <summary>The path of the librdkafka shared object Confluent.Kafka loaded into this process.</summary>
    public static string Path => LoadedPath.Value;

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Name ? NativeLibrary.Load(Path) : IntPtr.Zero;

    private static string FindLoadedPath()
    {
        _ = Confluent.Kafka.Library.Version; // makes Confluent.Kafka load its native library
        var path = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6)
            .Select(fields => string.Join(' ', fields.Skip(5)))
            .FirstOrDefault(file => System.IO.Path.GetFileName(file).Contains("librdkafka", StringComparison.Ordinal));
        return path ?? throw new InvalidOperationException("Confluent.Kafka did not load a librdkafka shared object into this process.");
    }
}
