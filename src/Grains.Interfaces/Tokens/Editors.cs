namespace Triggers.Tokens;

/// <summary>Who changes an item, for its <c>edited_by</c>.</summary>
public static class Editors
{
    /// <summary>The admin token's holder. API tokens do not yet carry their label into the grains' edits: passing it in
    /// Orleans' request context held up a renamed trigger's jobs (TriggerLifecycleTests), so every edit is recorded
    /// as the admin's until that is understood.</summary>
    public const string Admin = "admin";

    public static string Current => Admin;
}
