namespace Triggers.Tokens;

/// <summary>Who changes an item, for its <c>edited_by</c>: the API puts the caller (a token's label, or <c>admin</c>) in
/// Orleans' request context, which travels with every grain call the request makes.</summary>
public static class Editors
{
    public const string RequestContextKey = "triggers.editor";

    /// <summary>The admin token's holder, and every change made by the silo itself.</summary>
    public const string Admin = "admin";

    public static string Current => RequestContext.Get(RequestContextKey) as string ?? Admin;
}
