using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Static.Shared.Configuration;

namespace Static.Publisher.Edge;

public static class CdnServiceCollectionExtensions
{
    /// <summary>The invalidator named by <c>cdn.kind</c>; Varnish at STATIC_EDGE_URL. TryAdd, so a test can put its own first.</summary>
    public static IServiceCollection AddCdnInvalidation(this IServiceCollection services, PublishConfig config, StackSettings settings)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(settings);
        services.TryAddSingleton<ICdnInvalidator>(_ => config.Cdn.Kind switch
        {
            CdnKind.Varnish when !string.IsNullOrWhiteSpace(settings.EdgeUrl) =>
                new VarnishInvalidator(new HttpClient { Timeout = TimeSpan.FromSeconds(10) }, new Uri(settings.EdgeUrl), config.Cdn.KeysPerPurge),
            CdnKind.Varnish => throw new ConfigException("cdn.kind is varnish but STATIC_EDGE_URL is not set: run scripts/stack.sh up, export STATIC_EDGE_URL, or set cdn.kind to none."),
            CdnKind.CloudFront => new CloudFrontInvalidator(
                new HttpClient { Timeout = TimeSpan.FromSeconds(30) },
                config.Cdn.CloudFront,
                Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") ?? throw new ConfigException("cdn.kind is cloudfront: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment."),
                Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") ?? throw new ConfigException("cdn.kind is cloudfront: set AWS_SECRET_ACCESS_KEY in the environment."),
                Environment.GetEnvironmentVariable("AWS_SESSION_TOKEN"),
                TimeProvider.System),
            _ => new NoCdnInvalidator(),
        });
        return services;
    }
}
