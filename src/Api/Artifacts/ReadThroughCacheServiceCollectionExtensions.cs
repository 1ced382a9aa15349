using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;
using Static.Api.Telemetry;
using Static.Templates;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace Static.Api.Artifacts;

internal static class ReadThroughCacheServiceCollectionExtensions
{
    /// <summary>
    /// FusionCache as the tiers: memory (L1), Redis (L2) through IDistributedCache, and the Redis backplane
    /// that carries evictions to every instance's L1. <paramref name="cacheName"/> separates the keys and the
    /// backplane channel of independent deployments (and of tests sharing one Redis).
    /// </summary>
    public static IServiceCollection AddReadThroughCache(this IServiceCollection services, string redis, string cacheName)
    {
        services.TryAddSingleton<ApiMetrics>();
        services.TryAddSingleton<DatabaseHealth>();
        services.TryAddSingleton<IArtifactSource, DatabaseArtifactSource>();
        services.TryAddSingleton<ArtifactCache>();
        services.TryAddSingleton<LiveManifestReader>();
        services.TryAddSingleton<StockReader>();
        services.TryAddSingleton(_ => new RendererSource(ArtifactRenderer.CreateAsync));

        var redisOptions = ConfigurationOptions.Parse(redis);
        redisOptions.AbortOnConnectFail = false;
        redisOptions.ConnectTimeout = 1000;
        redisOptions.SyncTimeout = 500;
        redisOptions.AsyncTimeout = 500;

        services.AddFusionCache()
            .WithOptions(o =>
            {
                o.CacheKeyPrefix = cacheName + ":";
                // A Redis that fails is left alone for a few seconds instead of being waited on per request.
                o.DistributedCacheCircuitBreakerDuration = TimeSpan.FromSeconds(2);
                o.BackplaneCircuitBreakerDuration = TimeSpan.FromSeconds(2);
            })
            // Our payload through source generation; FusionCache's own envelope types (internal) by reflection.
            .WithSerializer(new FusionCacheSystemTextJsonSerializer(new System.Text.Json.JsonSerializerOptions
            {
                TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(
                    ApiCacheJsonContext.Default, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()),
            }))
            .WithDistributedCache(new RedisCache(new RedisCacheOptions { ConfigurationOptions = redisOptions, InstanceName = "" }))
            .WithBackplane(new RedisBackplane(new RedisBackplaneOptions { ConfigurationOptions = redisOptions }));
        return services;
    }
}
