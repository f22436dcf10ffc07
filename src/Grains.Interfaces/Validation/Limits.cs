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

    public const int MaxLabels = 50;
    public const int MaxLabelChars = 100;

    /// <summary>Labels are matched one by one in <c>list?label=a,b</c>, so none may hold a comma.</summary>
    public static void RequireLabels(IReadOnlyList<string>? labels, string field = "labels")
    {
        if (labels is null) return;
        RequireCount(labels.Count, MaxLabels, field, "labels");
        foreach (var label in labels)
            if (string.IsNullOrWhiteSpace(label) || label.Length > MaxLabelChars || label.Contains(','))
                throw new InvalidInputException(field, $"'{label}' is not a label: use 1 to {MaxLabelChars} characters without commas.");
    }

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
