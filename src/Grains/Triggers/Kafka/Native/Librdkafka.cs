using System.Reflection;
using System.Runtime.InteropServices;

namespace Triggers.Triggers.Kafka.Native;

/// <summary>
/// Lets this assembly call librdkafka functions that Confluent.Kafka does not wrap (the mock cluster API).
/// Confluent.Kafka picks one of several native builds at run time (on Debian it falls back to a CentOS build),
/// so a plain <c>DllImport("librdkafka")</c> would not find it: we bind to whichever file it actually loaded.
/// </summary>
public static partial class Librdkafka
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

    /// <summary>The loaded build's <c>builtin.features</c>, e.g. whether it can do SASL/GSSAPI (Kerberos).</summary>
    public static IReadOnlyList<string> BuiltinFeatures => Features.Value;

    private static readonly Lazy<IReadOnlyList<string>> Features = new(() =>
    {
        EnsureResolver();
        var conf = rd_kafka_conf_new();
        try
        {
            var buffer = new byte[1024];
            nint size = buffer.Length;
            return rd_kafka_conf_get(conf, "builtin.features", buffer, ref size) == 0
                ? System.Text.Encoding.UTF8.GetString(buffer, 0, (int)size).TrimEnd('\0').Split(',')
                : [];
        }
        finally
        {
            rd_kafka_conf_destroy(conf);
        }
    });

    /// <summary>Whether the loaded build can do SASL/GSSAPI (Kerberos).</summary>
    public static bool HasGssapi => BuiltinFeatures.Contains("sasl_gssapi");

    /// <summary>Fails with the fix when a Kerberos resource meets a librdkafka build without GSSAPI.</summary>
    public static void RequireGssapi()
    {
        if (!HasGssapi)
            throw new InvalidOperationException(
                $"This silo's librdkafka ({Path}) has no GSSAPI support (builtin.features: {string.Join(',', BuiltinFeatures)}). " +
                "Start the silo with run.sh or the container image: they put a libsasl2.so.3 link on LD_LIBRARY_PATH so that " +
                "Confluent.Kafka loads its Kerberos-capable build (it needs libsasl2 and the SASL GSSAPI plugin installed).");
    }

    [LibraryImport(Name)] private static partial IntPtr rd_kafka_conf_new();
    [LibraryImport(Name)] private static partial void rd_kafka_conf_destroy(IntPtr conf);
    [LibraryImport(Name, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_conf_get(IntPtr conf, string name, byte[] dest, ref nint size);

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
