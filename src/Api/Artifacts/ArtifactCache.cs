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
/// An entry's eviction tags are kept in <see cref="IArtifactTagIndex"/>, not in FusionCache's tags, so a hit
/// checks none of them.
/// </summary>
public sealed class ArtifactCache
{
    public const string KeyPrefix = "artifact:";

    /// <summary>
    /// A tag naming more cached paths than this is evicted by expiring the whole cache (one backplane message)
    /// rather than path by path (one each): <c>config</c> names every page.
    /// </summary>
    public const int MaxPathsPerTagEviction = 1000;

    // Expired once per tag eviction: its backplane message tells every instance that an eviction happened, even
    // one whose read of a path under the tag is still in flight and not yet in the index (see MayEvict).
    private const string EvictionMarkerPrefix = "evicted-tag:";
    private readonly IFusionCache cache;
    private readonly IArtifactSource source;
    private readonly IArtifactTagIndex tags;
    private readonly PublishConfig config;
    private readonly DatabaseHealth health;
    private readonly ApiMetrics metrics;

    // One options object for every read (the settings do not change while the Api runs): FusionCache copies it
    // before the factory adapts it (context.Options), so a hit allocates none.
    private readonly FusionCacheEntryOptions options;

    // Bumped by every eviction, local or arriving through the backplane. A database read that started before
    // an eviction must not cache what it read: it may be the value the eviction was meant to remove.
    private long evictions;

    public ArtifactCache(IFusionCache cache, IArtifactSource source, IArtifactTagIndex tags, PublishConfig config, DatabaseHealth health, ApiMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(cache);
        this.cache = cache;
        this.source = source;
        this.tags = tags;
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
        // Only the artifact's own key counts as an answer from that tier, not the other entries in the same cache
        // (stock, shards, FusionCache's own clear and tag entries). (The handlers run inline,
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
                    // Recorded before the answer is cached, so that an eviction from now on finds it. When the index
                    // cannot be reached, the answer stays in this instance's memory only, for the L1 duration: an
                    // eviction elsewhere could not find it in L2.
                    if (loaded.Found && !await tags.AddAsync(path.Path, loaded.EvictionTags ?? SurrogateKeys.Parse(loaded.SurrogateKeys), TagLifetime(api), api.RedisTimeout).ConfigureAwait(false))
                    {
                        context.Options.SkipDistributedCacheWrite = true;
                    }

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

    /// <summary>
    /// Evicts every cached answer that depended on <paramref name="dependencyKey"/> (e.g. product:12), on every
    /// instance: the paths the tag index names are expired (L2, and L1 everywhere through the backplane), as
    /// FusionCache's RemoveByTag did (expired, not removed: fail-safe may still serve one while PostgreSQL is down).
    /// </summary>
    public async ValueTask EvictKeyAsync(string dependencyKey, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref evictions);
        var paths = await tags.TakeAsync(dependencyKey, cancellationToken).ConfigureAwait(false);
        if (paths.Count > MaxPathsPerTagEviction)
        {
            await cache.ClearAsync(allowFailSafe: true, token: cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var path in paths)
        {
            await cache.ExpireAsync(KeyPrefix + path, token: cancellationToken).ConfigureAwait(false);
        }

        await cache.ExpireAsync(EvictionMarkerPrefix + dependencyKey, token: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How long the tag index keeps a path: as long as any tier may hold its entry (fail-safe included).</summary>
    private static TimeSpan TagLifetime(ApiSection api) =>
        new[] { api.L1Duration, api.L2Duration, api.FailSafeMaxDuration }.Max() + TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether a backplane message can mean that what a read in flight got is now old: a remove or an expire
    /// (a tag eviction always sends one, see <see cref="EvictKeyAsync"/>), or a set of anything but an artifact
    /// (a stock eviction by FusionCache's <c>RemoveByTag</c> arrives as a set of its tag entry).
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
