namespace Triggers.Validation;

/// <summary>How big the things users send may be: past these they are mistakes, and they would cost every silo.</summary>
public static class Limits
{
    /// <summary>A script's source, and a flow's inline step (characters).</summary>
    public const int MaxContentChars = 1 << 20;

    public const int MaxTopics = 100;

    public const int MaxFlowModules = 500;

    /// <summary>A retry policy's attempts.</summary>
    public const int MaxAttempts = 100;

    public static void RequireContentSize(string? content, string field)
    {
        if (content is { Length: > MaxContentChars })
            throw new InvalidInputException(field,
                $"The source is {content.Length / 1024:N0} KiB; the limit is {MaxContentChars / 1024:N0} KiB. Move data out of the code (a resource, a file the script downloads).");
    }

    public static void RequireCount(int count, int max, string field, string what)
    {
        if (count > max) throw new InvalidInputException(field, $"{count:N0} {what} is more than the {max:N0} allowed.");
    }
}
