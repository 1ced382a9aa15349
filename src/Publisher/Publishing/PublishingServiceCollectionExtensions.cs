using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Static.Shared.Publishes;
using Static.Templates;

namespace Static.Publisher.Publishing;

public static class PublishingServiceCollectionExtensions
{
    /// <summary>The publish pipeline. The renderer is compiled once, on first use.</summary>
    public static IServiceCollection AddPublishing(this IServiceCollection services, RendererSource renderer)
    {
        services.TryAddSingleton(renderer);
        services.AddPublishRecords();
        services.TryAddSingleton<PublishStateStore>();
        services.TryAddSingleton<SitePublisher>();
        services.TryAddSingleton<Operations.PinState>();
        services.TryAddSingleton<Operations.VersionHistory>();
        services.TryAddSingleton<Operations.RollbackService>();
        services.TryAddSingleton<Operations.GarbageCollector>();
        services.TryAddSingleton<Operations.StoreVerifier>();
        services.TryAddSingleton<Operations.PublisherOperations>();
        services.TryAddSingleton<Operations.PublishHealth>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<Edge.PendingInvalidations>();
        return services;
    }
}
