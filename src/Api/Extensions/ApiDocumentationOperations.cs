using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Triggers.Triggers.Kafka;

namespace Triggers.Api.Extensions;

/// <summary>
/// What the generator cannot see in the handlers: the problem-details answers every operation may give, the bodies of
/// routes that read their body themselves (a trigger, which keeps fields it does not know yet; a job's arguments), and
/// an example body for the routes a newcomer calls first.
/// </summary>
internal static class ApiDocumentationOperations
{
    private static readonly (string Status, string Description, string Title, string Detail, string? Field)[] Problems =
    [
        ("400", "Invalid input: the detail says what to change, and `field` names the field to blame.", "Invalid input",
            "A job takes 1 to 10,000 messages; 0 is out of range.", "batch_size"),
        ("401", "No token, or not a valid one.", "Unauthorized", "Send Authorization: Bearer <token>.", null),
        ("404", "The workspace or item does not exist.", "Not found", "No kafka trigger at 'u/admin/orders_trigger'.", null),
        ("409", "The item exists already, or changed meanwhile (a script saved without the latest parent_hash).", "Conflict",
            "Script 'u/admin/orders' has a newer version (3f2a9c0d1e2b4a5c); send it as parent_hash to save over it.", null),
        ("503", "A silo just left and the cluster is moving the item to another one: retry in a few seconds.", "Temporarily unavailable",
            "The cluster is moving this item to another silo after a silo left; retry in a few seconds.", null),
    ];

    /// <summary>Example bodies by operation ("POST /api/w/{workspace}/...", as the document names it).</summary>
    private static readonly Dictionary<string, string> Examples = new()
    {
        ["POST /api/workspaces/create"] = """{"id": "demo", "name": "Demo"}""",
        ["POST /api/w/{workspace}/resources/create"] = """
            {"path": "u/admin/kafka", "resource_type": "kafka", "description": "production brokers",
             "value": {"brokers": ["broker-1:9093", "broker-2:9093"], "security": {"label": "SASL_SSL", "mechanism": "SCRAM-SHA-512", "username": "triggers", "password": "..."}}}
            """,
        ["POST /api/w/{workspace}/scripts/create"] = """
            {"path": "u/admin/orders", "language": "bun", "summary": "Handles one order",
             "content": "export async function main(payload: string) {\n  return JSON.parse(atob(payload));\n}\n"}
            """,
        ["POST /api/w/{workspace}/kafka_triggers/create"] = TriggerExample,
        ["POST /api/w/{workspace}/kafka_triggers/update/{path}"] = TriggerExample,
        ["POST /api/w/{workspace}/kafka_triggers/setmode/{path}"] = """{"mode": "suspended"}""",
        ["POST /api/w/{workspace}/kafka_triggers/reset_offsets/{path}"] = """{"offset": "earliest"}""",
        ["POST /api/w/{workspace}/kafka_triggers/commit_offsets/{path}"] = """{"topic": "orders", "partition": 0, "offset": 41}""",
        ["POST /api/w/{workspace}/kafka_triggers/redrive/{path}"] = """{"status": "failure", "since": "2026-11-30T00:00:00Z"}""",
        ["POST /api/w/{workspace}/jobs/run/p/{path}"] = """{"payload": "eyJvcmRlciI6IDQyfQ=="}""",
        ["POST /api/w/{workspace}/jobs/run/f/{path}"] = """{"order_id": 42}""",
    };

    private const string TriggerExample = """
        {"path": "u/admin/orders_trigger", "script_path": "u/admin/orders", "is_flow": false, "kafka_resource_path": "u/admin/kafka",
         "topics": ["orders"], "group_id": "orders-triggers", "auto_offset_reset": "earliest", "batch_size": 1, "ordering": "partition",
         "retry": {"constant": {"attempts": 3, "seconds": 5}}, "error_handler_path": "u/admin/alert"}
        """;

    public static async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var path = "/" + context.Description.RelativePath?.TrimEnd('/');
        if (!path.StartsWith("/api/", StringComparison.Ordinal) || path == "/api/version") return;
        var name = $"{context.Description.HttpMethod} {path}";

        if (ReadsBodyItself(name))
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = !name.Contains("reset_offsets", StringComparison.Ordinal),
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new()
                    {
                        Schema = name.Contains("kafka_triggers", StringComparison.Ordinal)
                            ? await context.GetOrCreateSchemaAsync(name.Contains("reset_offsets", StringComparison.Ordinal) ? typeof(ResetOffsetsBody) : typeof(KafkaTrigger), cancellationToken: ct)
                            : new OpenApiSchema { Type = JsonSchemaType.Object, Description = "The arguments of main, by name." },
                    },
                },
            };
        if (Examples.TryGetValue(name, out var example) && operation.RequestBody?.Content?.TryGetValue("application/json", out var media) == true)
            media.Example = JsonNode.Parse(example);

        operation.Responses ??= new OpenApiResponses();
        var problem = await context.GetOrCreateSchemaAsync(typeof(ApiProblem), cancellationToken: ct);
        foreach (var (status, description, title, detail, field) in Problems)
        {
            if (status == "404" && !path.Contains('{')) continue; // nothing named in the route to be missing
            if (status == "409" && context.Description.HttpMethod != "POST") continue;
            if (status == "400" && context.Description.HttpMethod == "GET" && !context.Description.ParameterDescriptions.Any()) continue;
            if (operation.Responses.ContainsKey(status)) continue;
            var body = new JsonObject { ["type"] = "about:blank", ["title"] = title, ["status"] = int.Parse(status), ["detail"] = detail };
            if (field is not null) body["field"] = field;
            operation.Responses[status] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = problem, Example = body } },
            };
        }
    }

    private static bool ReadsBodyItself(string operation) =>
        operation.EndsWith("kafka_triggers/create", StringComparison.Ordinal) || operation.Contains("kafka_triggers/update/", StringComparison.Ordinal)
        || operation.Contains("kafka_triggers/reset_offsets/", StringComparison.Ordinal) || operation.Contains("/jobs/run/", StringComparison.Ordinal);

    /// <summary>RFC 9457 problem details as this API writes them.</summary>
    /// <param name="Field">The request field to blame, when there is one (e.g. <c>batch_size</c>, <c>topics[0]</c>).</param>
    internal sealed record ApiProblem(string Type, string Title, int Status, string Detail, string? Field);

    /// <summary>The optional body of reset_offsets: where the group starts over (default earliest).</summary>
    internal sealed record ResetOffsetsBody(string? Offset);
}
