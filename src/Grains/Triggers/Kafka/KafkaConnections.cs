using Triggers.Extensions;
using Triggers.Resources;
using Triggers.Security;
using Triggers.Triggers.Kafka.Development;
using Triggers.Validation;

namespace Triggers.Triggers.Kafka;

/// <summary>Turns a resource path into a usable Kafka connection: found, of type <c>kafka</c>, secrets decrypted.</summary>
public sealed class KafkaConnections(IGrainFactory grains, SecretProtector secrets, Microsoft.Extensions.Options.IOptions<KerberosOptions> kerberos, IServiceProvider services)
{
    /// <summary>The life of the broker <paramref name="connection"/> names when that broker forgets everything on
    /// restart (this silo's development broker); null for a real broker.</summary>
    public string? BrokerEpochOf(KafkaConnection connection) =>
        services.GetService(typeof(DevKafkaServer)) is DevKafkaServer dev && connection.Brokers.Count > 0 && connection.Brokers.All(dev.IsAddressOf) ? dev.Epoch : null;

    /// <exception cref="NotFoundException">No resource at that path.</exception>
    /// <exception cref="InvalidInputException">The resource is not a Kafka connection; <paramref name="field"/> names it.</exception>
    public async Task<KafkaConnection> ResolveAsync(string workspaceId, string resourcePath, string field = "kafka_resource_path")
    {
        var resource = await ClusterCalls.RetryAsync(() => grains.GetGrain<IResourceGrain>(Names.ItemKey(workspaceId, resourcePath)).GetAsync())
            ?? throw new NotFoundException($"{field}: no resource at '{resourcePath}'; create it first with POST /api/w/{workspaceId}/resources/create.");
        if (resource.ResourceType != KafkaConnection.ResourceType)
            throw new InvalidInputException(field, $"The resource at '{resourcePath}' is of type '{resource.ResourceType}', not 'kafka'.");
        var connection = secrets.RevealKafkaConnection(resource.Value, workspaceId, resourcePath);
        KeytabLocation.Check(connection, kerberos.Value.KeytabDirectory); // also for resources saved before the rule
        return connection;
    }
}
