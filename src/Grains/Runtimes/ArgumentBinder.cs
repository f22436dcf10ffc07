using System.Text.Json.Nodes;

namespace Triggers.Runtimes;

/// <summary>Binds arguments to main's parameters by name, in parameter order.</summary>
/// <remarks>The wrappers for bun and python do the same inside the job (they must, since the preprocessor runs
/// there); this copy serves bash and the cases where the job dies before it can report what it bound.</remarks>
internal static class ArgumentBinder
{
    public static JsonObject Bind(IReadOnlyList<string> parameters, JsonObject source)
    {
        var bound = new JsonObject();
        foreach (var name in parameters)
            if (source.TryGetPropertyValue(name, out var value))
                bound[name] = value?.DeepClone();
        return bound;
    }
}
