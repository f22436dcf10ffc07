using Triggers.Tests.Infrastructure;
using Triggers.Triggers.Kafka.Development;

namespace Triggers.Tests.EndToEnd;

/// <summary>One silo on the embedded default (in-memory state) and one mock Kafka cluster, shared by a collection.</summary>
public sealed class EmbeddedSiloFixture : IAsyncLifetime
{
    public MockKafkaCluster Kafka { get; } = new(brokers: 3);
    public SiloFactory Silo { get; }
    public TriggersApiClient Api { get; private set; } = null!;

    public EmbeddedSiloFixture() => Silo = new SiloFactory(new Dictionary<string, string?>());

    public Task InitializeAsync()
    {
        Api = Silo.CreateApiClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Silo.DisposeAsync();
        Kafka.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class EmbeddedSiloCollection : ICollectionFixture<EmbeddedSiloFixture>
{
    public const string Name = "embedded silo";
}
