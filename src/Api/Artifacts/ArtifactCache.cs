using Npgsql;
using Static.Api.Telemetry;
using Static.Shared.Artifacts;
using Static.Shared.Configuration;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane;

namespace Static.Api.Artifacts;

/// <summary>The answer to a read, and whether it was served without PostgreSQL confirming it.</summary>
public readonly record struct CacheAnswer(CachedArtifact Artifact, bool Stale);

/// <summary>PostgreSQL cannot be reached and nothing is cached for the key.</summary>
public sealed class SourceUnavailableException(Exception inner) : Exception("The catalog database is unavailable and nothing is cached for this path.", inner);

/// <summary>
/// The read-through tiers, on FusionCache: L1 in process, L2 in Redis (with a backplane so an eviction on
/// one instance reaches every instance's L1), then <see cref="IArtifactSource"/>. One factory call per cold
/// key per instance, however many requests wait (FusionCache's stampede protection); when PostgreSQL is
/// down, fail-safe serves the last value, marked stale; Redis slower than <c>api.redisTimeout</c> is skipped.
/// </summary>
public sealed class ArtifactCache
{
    public const string KeyPrefix = "artifact:";
    private readonly IFusionCache cache;
    private readonly IArtifactSource source;
    private readonly PublishConfig config;
    private readonly DatabaseHealth health;
    private readonly ApiMetrics metrics;

    // One options object for every read (the settings do not change while the Api runs): FusionCache copies it
    // before the factory adapts it (context.Options), so a hit allocates none.
    private readonly FusionCacheEntryOptions options;

    // Bumped by every eviction, local or arriving through the backplane. A database read that started before
    // an eviction must not cache what it read: it may be the value the eviction was meant to remove.
    private long evictions;

    public ArtifactCache(IFusionCache cache, IArtifactSource source, PublishConfig config, DatabaseHealth health, ApiMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(cache);
        this.cache = cache;
        this.source = source;
        this.config = config;
        this.health = health;
        this.metrics = metrics;
        options = EntryOptions(config.Api);
        cache.Events.Backplane.MessageReceived += (_, e) =>
        {
            if (MayEvict(e.Message))
            {
                Interlocked.Increment(ref evictions);
            }
        };
        // A tagged entry's hit also looks up each of its tags in the cache (43 for a listing page), and each lookup
        // raises a hit: only the artifact's own key counts as an answer from that tier. (The handlers run inline,
        // FusionCacheOptions.EnableSyncEventHandlersExecution: each is an Interlocked or a counter add, cheaper
        // than the thread-pool item FusionCache queues per handler call by default.)
        cache.Events.Memory.Hit += (_, e) =>
        {
            if (IsArtifactKey(e.Key))
            {
                metrics.Hit("l1");
            }
        };
        cache.Events.Distributed.Hit += (_, e) =>
        {
            if (IsArtifactKey(e.Key))
            {
                metrics.Hit("l2");
            }
        };
    }

    public async Task<CacheAnswer> GetAsync(ArtifactPath path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        var api = config.Api;
        if (!api.StampedeProtection)
        {
            metrics.DatabaseQuery();
            return new CacheAnswer(await source.LoadAsync(path, cancellationToken).ConfigureAwait(false), false);
        }

        var failed = false;
        try
        {
            var artifact = await cache.GetOrSetAsync<CachedArtifact>(KeyPrefix + path.Path, async (context, ct) =>
            {
                try
                {
                    metrics.DatabaseQuery();
                    var epoch = Interlocked.Read(ref evictions);
                    var loaded = await source.LoadAsync(path, ct).ConfigureAwait(false);
                    health.Up();
                    if (Interlocked.Read(ref evictions) != epoch)
                    {
                        // An eviction arrived while we read: answer this request, cache nothing.
                        context.Options.SkipMemoryCacheWrite = true;
                        context.Options.SkipDistributedCacheWrite = true;
                        context.Options.IsFailSafeEnabled = false;
                    }

                    if (!loaded.Found)
                    {
                        context.Options.Duration = api.NotFoundDuration;
                        context.Options.DistributedCacheDuration = api.NotFoundDuration;
                    }

                    context.Tags = loaded.Found ? [.. loaded.EvictionTags ?? Static.Shared.Artifacts.SurrogateKeys.Parse(loaded.SurrogateKeys)] : null;
                    return loaded;
                }
                catch (Exception e) when (IsDatabaseFailure(e))
                {
                    failed = true;
                    health.Down(e);
                    throw;
                }
            }, options, cancellationToken).ConfigureAwait(false);

            var stale = failed || health.IsDown;
            if (stale)
            {
                metrics.Stale();
            }

            return new CacheAnswer(artifact, stale);
        }
        catch (Exception e) when (IsDatabaseFailure(e) || e is SyntheticTimeoutException)
        {
            throw new SourceUnavailableException(e);
        }
    }

    /// <summary>The entry options of every read, from the <c>api</c> settings (also what <c>bench/Micro</c> measures a hit with).</summary>
    public static FusionCacheEntryOptions EntryOptions(ApiSection api)
    {
        ArgumentNullException.ThrowIfNull(api);
        return new FusionCacheEntryOptions
        {
            Duration = api.L1Duration,
            DistributedCacheDuration = api.L2Duration,
            SkipMemoryCacheRead = !api.L1Enabled,
            SkipMemoryCacheWrite = !api.L1Enabled,
            SkipDistributedCacheRead = !api.L2Enabled,
            SkipDistributedCacheWrite = !api.L2Enabled,
            IsFailSafeEnabled = true,
            FailSafeMaxDuration = api.FailSafeMaxDuration,
            FailSafeThrottleDuration = TimeSpan.FromSeconds(2),
            DistributedCacheSoftTimeout = api.RedisTimeout,
            DistributedCacheHardTimeout = api.RedisTimeout * 2,
            AllowBackgroundDistributedCacheOperations = true,
            AllowBackgroundBackplaneOperations = true,
        };
    }

    /// <summary>An artifact's entry (with or without the cache's key prefix), not one of FusionCache's tag entries.</summary>
    private static bool IsArtifactKey(string key) => key.Contains(KeyPrefix, StringComparison.Ordinal) && !key.Contains("__fc:", StringComparison.Ordinal);

    /// <summary>Evicts one path on every instance (L1 through the backplane, and L2).</summary>
    public ValueTask EvictPathAsync(string path, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref evictions);
        return cache.RemoveAsync(KeyPrefix + path, token: cancellationToken);
    }

    /// <summary>Evicts every cached answer that depended on <paramref name="dependencyKey"/> (e.g. product:12).</summary>
    public ValueTask EvictKeyAsync(string dependencyKey, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref evictions);
        return cache.RemoveByTagAsync(dependencyKey, token: cancellationToken);
    }

    /// <summary>
    /// Whether a backplane message can mean that what a read in flight got is now old: a remove or an expire,
    /// or a set of anything but an artifact (<c>RemoveByTag</c> arrives as a set of FusionCache's tag entry).
    /// Another instance caching an artifact it just read is not an eviction: counting those would keep every
    /// read that overlaps any other instance's cache fill from being cached.
    /// </summary>
    internal static bool MayEvict(BackplaneMessage? message) =>
        message is null || message.Action != BackplaneMessageAction.EntrySet
        || message.CacheKey is not { } key || !key.Contains(":" + KeyPrefix, StringComparison.Ordinal);

    private static bool IsDatabaseFailure(Exception e) =>
        e is NpgsqlException or TimeoutException || e.InnerException is NpgsqlException or System.Net.Sockets.SocketException;
}

/// <summary>Whether the last attempt to reach PostgreSQL failed: answers given meanwhile are marked stale.</summary>
public sealed class DatabaseHealth(ILogger<DatabaseHealth> logger)
{
    private int down;

    public bool IsDown => Volatile.Read(ref down) == 1;

    public void Down(Exception cause)
    {
        if (Interlocked.Exchange(ref down, 1) == 0)
        {
            Log.DatabaseDown(logger, cause);
        }
    }

    public void Up()
    {
        if (Interlocked.Exchange(ref down, 0) == 1)
        {
            Log.DatabaseUp(logger);
        }
    }
}
