using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using StackExchange.Redis;
using Static.Api.Admin;
using Static.Api.Database;
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
    /// backplane channel (<c>BackplaneChannelPrefix</c>) of independent deployments (and of tests sharing one Redis). L2 and the backplane
    /// use the process's one <see cref="IConnectionMultiplexer"/> (<c>AddRedis</c>), not connections of their own.
    /// </summary>
    public static IServiceCollection AddReadThroughCache(this IServiceCollection services, string cacheName)
    {
        services.TryAddSingleton<ApiMetrics>();
        services.TryAddSingleton<DatabaseHealth>();
        services.TryAddSingleton<IArtifactSource, DatabaseArtifactSource>();
        services.TryAddSingleton<IArtifactTagIndex>(sp => new RedisArtifactTagIndex(sp.GetRequiredService<IConnectionMultiplexer>(), cacheName));
        services.TryAddSingleton<ArtifactCache>();
        services.TryAddSingleton<LiveManifestReader>();
        services.TryAddSingleton<LiveShardReader>();
        services.TryAddSingleton<StockReader>();
        services.TryAddSingleton(_ => new RendererSource(ArtifactRenderer.CreateAsync));
        services.TryAddSingleton(sp => new ReplicaFence(sp.GetRequiredService<PrimaryDatabase>(), sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<IConnectionMultiplexer>(), cacheName, sp.GetRequiredService<ILogger<ReplicaFence>>()));

        services.AddFusionCache()
            .WithOptions(o =>
            {
                o.CacheKeyPrefix = cacheName + ":";
                // The backplane's channel too: by default it is named after FusionCache's CacheName
                // ("FusionCache"), so every deployment on one Redis, whatever its key prefix, would hear
                // every other's notifications.
                o.BackplaneChannelPrefix = cacheName;
                // A Redis that fails is left alone for a few seconds instead of being waited on per request.
                o.DistributedCacheCircuitBreakerDuration = TimeSpan.FromSeconds(2);
                o.BackplaneCircuitBreakerDuration = TimeSpan.FromSeconds(2);
                // Our event handlers are a counter add or an Interlocked increment (ArtifactCache): run them inline.
                // By default FusionCache queues each handler call to the thread pool, and an L1 hit of a tagged
                // entry raises one hit per tag as well: that queueing was a large part of a hit's cost.
                o.EnableSyncEventHandlersExecution = true;
            })
            // Our payload through source generation; FusionCache's own envelope types (internal) by reflection.
            .WithSerializer(new FusionCacheSystemTextJsonSerializer(new System.Text.Json.JsonSerializerOptions
            {
                TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(
                    ApiCacheJsonContext.Default, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()),
            }))
            .WithDistributedCache(sp => new RedisCache(new RedisCacheOptions { ConnectionMultiplexerFactory = SharedConnection(sp), InstanceName = "" }))
            .WithBackplane(sp => new RedisBackplane(new RedisBackplaneOptions { ConnectionMultiplexerFactory = SharedConnection(sp) }));
        return services;
    }

    // Resolved when L2 or the backplane first connects, not when the cache is built.
    private static Func<Task<IConnectionMultiplexer>> SharedConnection(IServiceProvider services) =>
        () => Task.FromResult(services.GetRequiredService<IConnectionMultiplexer>());
}
