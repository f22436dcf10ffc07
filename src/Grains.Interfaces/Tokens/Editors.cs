namespace Triggers.Tokens;

/// <summary>Who changes an item, for its <c>edited_by</c>: the API puts the caller (a token's label, or <c>admin</c>) in
/// Orleans' request context, which travels with every grain call the request makes.</summary>
public static class Editors
{
    public const string RequestContextKey = "triggers.editor";

    /// <summary>The admin token's holder.</summary>
    public const string Admin = "admin";

    /// <summary>Changes the silo makes by itself (a script's resolved dependencies), and calls that came in no other way.</summary>
    public const string System = "system";

    public static string Current => RequestContext.Get(RequestContextKey) as string ?? System;
}
