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

    /// <summary>A job's own token (<c>WM_TOKEN</c>): <c>job &lt;id&gt;</c>.</summary>
    public static string Job(Guid jobId) => JobPrefix + jobId;

    /// <summary>How every job's label begins; API tokens may not take such a label.</summary>
    public const string JobPrefix = "job ";

    public static string Current => RequestContext.Get(RequestContextKey) as string ?? System;
}
