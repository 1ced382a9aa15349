using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Static.Templates;

namespace Static.Publisher.Publishing;

public static class PublishingServiceCollectionExtensions
{
    /// <summary>The publish pipeline. The renderer is compiled once, on first use.</summary>
    public static IServiceCollection AddPublishing(this IServiceCollection services, RendererSource renderer)
    {
        services.TryAddSingleton(renderer);
        services.TryAddSingleton<PublishStateStore>();
        services.TryAddSingleton<SitePublisher>();
        return services;
    }
}
