using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Triggers.Tests.Infrastructure;

/// <summary>The REST API as a user's scripts call it, with the steps most tests share.</summary>
public sealed class TriggersApiClient(HttpClient http)
{
    public HttpClient Http => http;

    public async Task CreateWorkspaceAsync(string id) =>
        await Ok(http.PostAsJsonAsync("/api/workspaces/create", new { id, name = id }));

    public async Task CreateKafkaResourceAsync(string ws, string path, string bootstrap) =>
        await Ok(http.PostAsJsonAsync($"/api/w/{ws}/resources/create", new
        {
            path,
            resource_type = "kafka",
            value = new { brokers = bootstrap.Split(','), security = new { label = "PLAINTEXT" } },
        }));

    public async Task CreateScriptAsync(string ws, string path, string language, string content) =>
        await Ok(http.PostAsJsonAsync($"/api/w/{ws}/scripts/create", new { path, language, content }));

    /// <summary>Creates a Kafka trigger; unless it says otherwise, from the earliest offset: tests produce right after the
    /// trigger listens, and "latest" (the default) is resolved at the consumer's first fetch, which may come after.</summary>
    public async Task CreateTriggerAsync(string ws, object trigger)
    {
        var body = JsonSerializer.SerializeToNode(trigger)!.AsObject();
        body.TryAdd("auto_offset_reset", "earliest");
        await Ok(http.PostAsJsonAsync($"/api/w/{ws}/kafka_triggers/create", body));
    }

    public async Task<JsonObject> GetTriggerAsync(string ws, string path) =>
        (await http.GetFromJsonAsync<JsonObject>($"/api/w/{ws}/kafka_triggers/get/{path}"))!;

    public async Task<List<JsonObject>> ListJobsAsync(string ws, string? triggerPath = null, string? status = null, int perPage = 1000)
    {
        var query = $"per_page={perPage}" + (triggerPath is null ? "" : $"&trigger_path={triggerPath}") + (status is null ? "" : $"&status={status}");
        return (await http.GetFromJsonAsync<List<JsonObject>>($"/api/w/{ws}/jobs/list?{query}"))!;
    }

    public async Task<JsonObject> GetJobAsync(string ws, string id) =>
        (await http.GetFromJsonAsync<JsonObject>($"/api/w/{ws}/jobs_u/get/{id}"))!;

    /// <summary>Queues a job of the script at <paramref name="path"/> and answers its id.</summary>
    public async Task<string> RunScriptAsync(string ws, string path, object args)
    {
        using var run = await http.PostAsJsonAsync($"/api/w/{ws}/jobs/run/p/{path}", args);
        run.EnsureSuccessStatusCode();
        return await run.Content.ReadAsStringAsync();
    }

    /// <summary>Waits until the job has finished, and returns it in full.</summary>
    public Task<JsonObject> WaitForJobEndAsync(string ws, string id, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(() => GetJobAsync(ws, id), j => (string?)j["status"] is "success" or "failure",
            timeout ?? TimeSpan.FromSeconds(60), $"job {id} to finish");

    /// <summary>Waits until the trigger's consumer has partitions assigned, i.e. it is really listening.</summary>
    public Task<JsonObject> WaitUntilListeningAsync(string ws, string path, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(() => GetTriggerAsync(ws, path),
            t => (string?)t["status"]!["state"] == "listening" && t["status"]!["partitions"]!.AsArray().Count > 0,
            timeout ?? TimeSpan.FromSeconds(30), $"trigger {path} to listen");

    /// <summary>Waits until <paramref name="count"/> of the trigger's jobs have finished, and returns them in full.</summary>
    public async Task<List<JsonObject>> WaitForFinishedJobsAsync(string ws, string triggerPath, int count, TimeSpan? timeout = null)
    {
        var jobs = await Eventually.WaitAsync(() => ListJobsAsync(ws, triggerPath),
            list => list.Count(j => (string?)j["status"] is "success" or "failure") >= count,
            timeout ?? TimeSpan.FromSeconds(60), $"{count} finished jobs of {triggerPath}");
        return (await Task.WhenAll(jobs.Select(j => GetJobAsync(ws, (string)j["id"]!)))).ToList();
    }

    private static async Task Ok(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{(int)response.StatusCode} {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public static string Decode(JsonNode? base64) => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)base64!));
}
