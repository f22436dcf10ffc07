using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Triggers.Api.Extensions;
using Triggers.Triggers.Kafka;
using Triggers.Validation;

namespace Triggers.Api.Triggers.Kafka;

public sealed record ResetOffsetsRequest(AutoOffsetReset? Offset);

public sealed record TestConnectionRequest(JsonElement? Connection);

/// <param name="Offset">The offset of the last message processed (as its event gives it); the group goes on after it.</param>
public sealed record CommitOffsetsRequest(string? Topic, int? Partition, long? Offset);

/// <summary><c>/kafka_triggers</c>: the routes every trigger has, plus Kafka's own (test, reset_offsets, commit_offsets).</summary>
public static class KafkaTriggersApi
{
    public static RouteGroupBuilder MapKafkaTriggersApi(this RouteGroupBuilder workspace)
    {
        var group = workspace.MapTriggerApi<KafkaTrigger, KafkaTriggerStatus, IKafkaTriggerGrain>("kafka_triggers", KafkaTrigger.Kind);
        group.MapPost("/test", async (string workspace, TestConnectionRequest request, IGrainFactory grains) =>
        {
            // {connection: {kafka_resource_path}} tests a stored resource; {connection: {brokers, security}} an inline one.
            var connection = request.Connection is { ValueKind: JsonValueKind.Object } c ? c
                : throw new InvalidInputException("connection", "Give {\"connection\": {\"kafka_resource_path\": \"u/me/kafka\"}} or {\"connection\": {\"brokers\": [...], \"security\": {...}}}.");
            var result = connection.TryGetProperty("kafka_resource_path", out var path)
                ? await grains.GetGrain<IKafkaConnectionTesterGrain>(0).TestAsync(workspace, path.GetString(), null)
                : await grains.GetGrain<IKafkaConnectionTesterGrain>(0).TestAsync(workspace, null, connection);
            return Results.Json(result, ApiJson.Options);
        });
        group.MapPost("/reset_offsets/{*path}", async (string workspace, string path, HttpRequest http, IGrainFactory grains) =>
        {
            // The body is optional: without it the group goes back to the earliest offsets, as Windmill's route does.
            var request = http.ContentLength > 0 ? await http.ReadFromJsonAsync<ResetOffsetsRequest>(ApiJson.Options) : null;
            var view = await TriggersApi.Grain<IKafkaTriggerGrain>(grains, workspace, path).ResetOffsetsAsync(request?.Offset ?? AutoOffsetReset.Earliest);
            return Results.Json(TriggersApi.Flatten(view), ApiJson.Options);
        });
        // Windmill's route for triggers with auto_commit off: a script says how far the group has processed.
        group.MapPost("/commit_offsets/{*path}", async (string workspace, string path, CommitOffsetsRequest request, IGrainFactory grains) =>
        {
            if (request is not { Topic: { } topic, Partition: { } partition, Offset: { } offset })
                throw new InvalidInputException(request.Topic is null ? "topic" : request.Partition is null ? "partition" : "offset",
                    "Give the message's topic, partition and offset, e.g. {\"topic\": \"orders\", \"partition\": 0, \"offset\": 41} (event.topic, event.partition and event.offset).");
            await TriggersApi.Grain<IKafkaTriggerGrain>(grains, workspace, path).CommitOffsetAsync(topic, partition, offset);
            return Results.Text($"Offsets committed for trigger '{path}'");
        });
        return workspace;
    }
}
