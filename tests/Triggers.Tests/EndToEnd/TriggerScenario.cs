using System.Text.Json;
using System.Text.Json.Nodes;
using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.EndToEnd;

/// <summary>A fresh workspace with a Kafka resource and a topic on the shared mock cluster, for one test.</summary>
public sealed class TriggerScenario
{
    public const string Resource = "u/test/kafka";
    public const string Trigger = "u/test/trigger";

    private TriggerScenario(TriggersApiClient api, MockKafkaCluster kafka, string ws, string topic)
    {
        Api = api;
        Kafka = kafka;
        Ws = ws;
        Topic = topic;
    }

    public TriggersApiClient Api { get; }
    public MockKafkaCluster Kafka { get; }
    public string Ws { get; }
    public string Topic { get; }

    public static async Task<TriggerScenario> CreateAsync(TriggersApiClient api, MockKafkaCluster kafka, int partitions = 1)
    {
        var scenario = new TriggerScenario(api, kafka, $"s-{Guid.NewGuid():N}"[..20], $"t-{Guid.NewGuid():N}");
        kafka.CreateTopic(scenario.Topic, partitions);
        await api.CreateWorkspaceAsync(scenario.Ws);
        await api.CreateKafkaResourceAsync(scenario.Ws, Resource, kafka.BootstrapServers);
        return scenario;
    }

    public Task CreateScriptAsync(string path, string language, string content) => Api.CreateScriptAsync(Ws, path, language, content);

    /// <summary>Creates the trigger on this scenario's topic with the given extra fields, and waits until it listens.</summary>
    public async Task CreateTriggerAsync(string scriptPath, object? extra = null, string path = Trigger)
    {
        var trigger = new JsonObject
        {
            ["path"] = path,
            ["script_path"] = scriptPath,
            ["kafka_resource_path"] = Resource,
            ["topics"] = new JsonArray(Topic),
        };
        if (extra is not null)
            foreach (var (key, value) in JsonSerializer.SerializeToNode(extra)!.AsObject())
                trigger[key] = value?.DeepClone();
        await Api.CreateTriggerAsync(Ws, trigger);
        await Api.WaitUntilListeningAsync(Ws, path);
    }

    public Task ProduceAsync(params string[] values) => TestProducer.ProduceAsync(Kafka.BootstrapServers, Topic, values);
}
