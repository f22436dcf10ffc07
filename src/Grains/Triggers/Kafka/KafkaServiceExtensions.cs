using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Triggers.Triggers.Kafka;

public static class KafkaServiceExtensions
{
    /// <summary>The Kafka trigger kind and what its grains share: consumer tuning, connection lookup, dead-letter producers.</summary>
    public static IServiceCollection AddKafkaTriggers(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<KafkaListenerOptions>(configuration.GetSection(KafkaListenerOptions.Section));
        services.Configure<KerberosOptions>(configuration.GetSection(KerberosOptions.Section));
        services.AddSingleton<KafkaConnections>();
        services.AddSingleton<DeadLetterProducer>();
        services.AddSingleton(sp => new BrokerAddressPolicy(configuration, sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Orleans.Configuration.EndpointOptions>>(),
            sp.GetService<Jobs.Execution.IInternalApiAddress>()));
        return services.AddTriggerKind<KafkaTriggerKind>();
    }
}
