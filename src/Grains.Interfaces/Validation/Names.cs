using System.Text.RegularExpressions;

namespace Triggers.Validation;

/// <summary>Rules for the identifiers users choose: workspace ids, item paths, topics and group ids.</summary>
public static partial class Names
{
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,49}$")]
    private static partial Regex WorkspaceIdPattern();

    // u/<user>/<name> or f/<folder>/<name>, with optional deeper segments.
    [GeneratedRegex("^[uf]/[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)+$")]
    private static partial Regex PathPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,249}$")]
    private static partial Regex TopicPattern();

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,255}$")]
    private static partial Regex GroupIdPattern();

    public static void RequireWorkspaceId(string? id, string field = "id")
    {
        if (string.IsNullOrEmpty(id) || !WorkspaceIdPattern().IsMatch(id))
            throw new InvalidInputException(field,
                $"'{id}' is not a valid workspace id: use 1-50 lowercase letters, digits, '-' or '_', starting with a letter or digit.");
    }

    public static void RequirePath(string? path, string field = "path")
    {
        if (string.IsNullOrEmpty(path))
            throw new InvalidInputException(field, $"{field} is required, e.g. 'u/alice/orders' or 'f/team/orders'.");
        if (path.Length > 255 || !PathPattern().IsMatch(path) || path.Split('/').Any(s => s is "." or ".."))
            throw new InvalidInputException(field,
                $"'{path}' is not a valid path: it must look like 'u/<user>/<name>' or 'f/<folder>/<name>' using letters, digits, '-', '_' and '.'.");
    }

    /// <summary>A topic name, or a librdkafka subscription pattern starting with '^'.</summary>
    public static void RequireTopic(string? topic, string field = "topics")
    {
        if (string.IsNullOrWhiteSpace(topic))
            throw new InvalidInputException(field, "Topic names must not be empty.");
        if (topic.StartsWith('^'))
        {
            try { _ = new Regex(topic); }
            catch (ArgumentException e) { throw new InvalidInputException(field, $"'{topic}' is not a valid topic pattern: {e.Message}"); }
            return;
        }
        if (!TopicPattern().IsMatch(topic) || topic is "." or "..")
            throw new InvalidInputException(field,
                $"'{topic}' is not a valid Kafka topic: use 1-249 letters, digits, '.', '_' or '-' (or a pattern starting with '^').");
    }

    public static void RequireGroupId(string? groupId, string field = "group_id")
    {
        if (string.IsNullOrEmpty(groupId) || !GroupIdPattern().IsMatch(groupId))
            throw new InvalidInputException(field,
                $"'{groupId}' is not a valid consumer group id: use 1-255 letters, digits, '.', '_', ':' or '-'.");
    }

    /// <summary>The grain key of a workspace item: workspace id and path joined by '/'.</summary>
    public static string ItemKey(string workspaceId, string path) => $"{workspaceId}/{path}";

    public static (string WorkspaceId, string Path) SplitItemKey(string key)
    {
        var slash = key.IndexOf('/');
        return (key[..slash], key[(slash + 1)..]);
    }
}
