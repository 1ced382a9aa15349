using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Static.Api.Artifacts;
using Static.Api.Telemetry;
using Static.Shared.Artifacts;
using ZiggyCreatures.Caching.Fusion;

namespace Static.Micro;

/// <summary>
/// The Api's L1 hit: <see cref="ArtifactCache.GetAsync"/> for a path already in memory, as every request the Api
/// answers from L1 calls it (the endpoint then only sets headers and writes the bytes): <c>/products/42.json</c>
/// (3 eviction tags) and its category's listing page 1 (<c>/categories/{slug}/1.json</c>, 40 products: 43 tags).
/// The cache is the Api's own <see cref="ArtifactCache"/> over a FusionCache with memory only: no Redis (an L1 hit
/// never reaches L2, the backplane or the tag index, whose adds on the warm-up miss go to <see cref="MemoryTagIndex"/>), no PostgreSQL (<see cref="RenderedSource"/> renders the demo data once, for
/// the warm-up miss). The only setting changed is <c>api.l1Duration</c>, raised to its maximum (1 h) so the key
/// cannot expire while measured; a miss during the run fails the benchmark at cleanup.
/// </summary>
/// <remarks>
/// Beside them, FusionCache's own hit on the product's entry (same value and entry options, with its 3 tags as
/// FusionCache tags, as the Api cached it before <see cref="IArtifactTagIndex"/>) without <see cref="ArtifactCache"/>
/// around it; the same entry without tags (FusionCache checks every tag of an entry on each hit, for
/// <c>RemoveByTag</c>; the Api's entries now carry none); and with one no-op <c>Events.Memory.Hit</c> handler (<see cref="ArtifactCache"/>
/// counts L1 hits through that event), run as FusionCache runs handlers by default (on the thread pool, one work
/// item per hit) and with <c>EnableSyncEventHandlersExecution</c> (on the caller's thread). They say where the hit's
/// time goes.
/// </remarks>
[MemoryDiagnoser]
public class CacheBenchmarks : IDisposable
{
    private readonly ArtifactPath product = ArtifactPath.ProductJson(DemoShop.ProductId);
    private readonly ArtifactPath listing = ArtifactPath.CategoryJson(DemoShop.Category);
    private FusionCache? fusion;
    private ApiMetrics? metrics;
    private RenderedSource? source;
    private ArtifactCache cache = null!;
    private FusionCacheEntryOptions entryOptions = null!;
    private string key = "";

    [GlobalSetup(Target = nameof(L1Hit))]
    public Task SetupProductAsync() => SetupApiAsync(product);

    [GlobalSetup(Target = nameof(L1HitListing))]
    public Task SetupListingAsync() => SetupApiAsync(listing);

    [GlobalSetup(Target = nameof(FusionCacheHit))]
    public Task SetupFusionCacheAsync() => SetupBaselineAsync(tags: true, handler: false, syncEvents: false);

    [GlobalSetup(Target = nameof(FusionCacheHitUntagged))]
    public Task SetupFusionCacheUntaggedAsync() => SetupBaselineAsync(tags: false, handler: false, syncEvents: false);

    [GlobalSetup(Target = nameof(FusionCacheHitWithHandler))]
    public Task SetupFusionCacheWithHandlerAsync() => SetupBaselineAsync(tags: true, handler: true, syncEvents: false);

    [GlobalSetup(Target = nameof(FusionCacheHitWithSyncHandler))]
    public Task SetupFusionCacheWithSyncHandlerAsync() => SetupBaselineAsync(tags: true, handler: true, syncEvents: true);

    [Benchmark(Description = "Api L1 hit, product JSON (ArtifactCache.GetAsync, 3 eviction tags)")]
    public Task<CacheAnswer> L1Hit() => cache.GetAsync(product, CancellationToken.None);

    [Benchmark(Description = "Api L1 hit, listing page 1 JSON (ArtifactCache.GetAsync, 43 eviction tags)")]
    public Task<CacheAnswer> L1HitListing() => cache.GetAsync(listing, CancellationToken.None);

    [Benchmark(Description = "FusionCache L1 hit alone (the product's entry: same value, options, 3 tags)")]
    public ValueTask<CachedArtifact> FusionCacheHit() => BaselineHit();

    [Benchmark(Description = "FusionCache L1 hit alone, entry without tags")]
    public ValueTask<CachedArtifact> FusionCacheHitUntagged() => BaselineHit();

    [Benchmark(Description = "FusionCache L1 hit + one no-op hit handler (default: on the thread pool)")]
    public ValueTask<CachedArtifact> FusionCacheHitWithHandler() => BaselineHit();

    [Benchmark(Description = "FusionCache L1 hit + one no-op hit handler (EnableSyncEventHandlersExecution)")]
    public ValueTask<CachedArtifact> FusionCacheHitWithSyncHandler() => BaselineHit();

    [GlobalCleanup]
    public void Cleanup()
    {
        var loads = source?.Loads ?? 0;
        Dispose();
        if (loads > 1)
        {
            throw new InvalidOperationException($"{loads - 1} reads missed L1 while measured: the figures are not of hits alone");
        }
    }

    public void Dispose()
    {
        fusion?.Dispose();
        fusion = null;
        metrics?.Dispose();
        metrics = null;
        GC.SuppressFinalize(this);
    }

    private async Task SetupApiAsync(ArtifactPath path)
    {
        var config = DemoShop.Config;
        config.Api.L1Duration = TimeSpan.FromHours(1);
        fusion = NewFusionCache(syncEvents: false);
        metrics = new ApiMetrics(new MeterFactory());
        source = new RenderedSource(await DemoShop.RendererAsync().ConfigureAwait(false));
        cache = new ArtifactCache(fusion, source, new MemoryTagIndex(), config, new DatabaseHealth(NullLogger<DatabaseHealth>.Instance), metrics);

        // Pre-warm: the first read misses and loads; the second must be a hit.
        await cache.GetAsync(path, CancellationToken.None).ConfigureAwait(false);
        var hit = await cache.GetAsync(path, CancellationToken.None).ConfigureAwait(false);
        if (source.Loads != 1 || !hit.Artifact.Found || hit.Stale)
        {
            throw new InvalidOperationException($"the warm-up did not leave {path.Path} in L1 ({source.Loads} loads)");
        }

        Console.WriteLine($"// {path.Path}: {hit.Artifact.Body.Length:N0} bytes, {hit.Artifact.EvictionTags?.Count} eviction tags");
    }

    private ValueTask<CachedArtifact> BaselineHit() =>
        fusion!.GetOrSetAsync<CachedArtifact>(key, static (_, _) => throw new InvalidOperationException("the baseline missed L1"), entryOptions);

    private async Task SetupBaselineAsync(bool tags, bool handler, bool syncEvents)
    {
        fusion = NewFusionCache(syncEvents);
        if (handler)
        {
            fusion.Events.Memory.Hit += (_, _) => { };
        }

        var value = await new RenderedSource(await DemoShop.RendererAsync().ConfigureAwait(false)).LoadAsync(product, CancellationToken.None).ConfigureAwait(false);
        key = ArtifactCache.KeyPrefix + product.Path;
        // ArtifactCache's entry options for every read, with L1 held for 1 h so the entry cannot expire while measuring.
        entryOptions = ArtifactCache.EntryOptions(DemoShop.Config.Api);
        entryOptions.Duration = TimeSpan.FromHours(1);
        await fusion.SetAsync(key, value, entryOptions, tags ? value.EvictionTags : null).ConfigureAwait(false);
    }

    /// <summary>The Api's FusionCache options (<c>AddReadThroughCache</c>) without L2 and backplane: those are Redis.</summary>
    private static FusionCache NewFusionCache(bool syncEvents) =>
        new(new FusionCacheOptions { CacheKeyPrefix = "static:", EnableSyncEventHandlersExecution = syncEvents });

    /// <summary>
    /// What a miss would read, built as the Api's <c>DatabaseArtifactSource</c> builds it (same renderer, ETag and
    /// tags) from the demo data instead of PostgreSQL; counts its loads.
    /// </summary>
    private sealed class RenderedSource(Static.Templates.ArtifactRenderer renderer) : IArtifactSource
    {
        private int loads;

        public int Loads => Volatile.Read(ref loads);

        public async Task<CachedArtifact> LoadAsync(ArtifactPath path, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref loads);
            ArtifactData data = path.Kind == ArtifactKind.CategoryJson
                ? new CategoryData(path, DemoShop.Site, DemoShop.Category, DemoShop.Listing, DemoShop.ListingHasMore)
                : new ProductData(path, DemoShop.Site, DemoShop.Product, DemoShop.Category);
            var artifact = await renderer.RenderAsync(data).ConfigureAwait(false);
            return new CachedArtifact(true, artifact.Body, DatabaseArtifactSource.ETagOf(artifact.Body), artifact.ContentType, SurrogateKeys.Format(SurrogateKeys.For(path, artifact.DependencyKeys)))
            {
                EvictionTags = [SurrogateKeys.PathTag(path.Path), .. artifact.DependencyKeys],
            };
        }
    }

    /// <summary>The tag index without Redis: only the warm-up miss adds to it, and nothing evicts.</summary>
    private sealed class MemoryTagIndex : IArtifactTagIndex
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> paths = new();

        public Task<bool> AddAsync(string path, IReadOnlyList<string> tags, TimeSpan keep, TimeSpan timeout)
        {
            foreach (var tag in tags)
            {
                paths[tag] = path;
            }

            return Task.FromResult(true);
        }

        public Task<IReadOnlyList<string>> TakeAsync(string tag, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<string>>(paths.TryRemove(tag, out var path) ? [path] : []);
    }

    /// <summary>
    /// The Api's meters without its host: nothing listens, so the hit's counter (<see cref="ApiMetrics.Hit"/>) is called
    /// but not aggregated; the Api's OpenTelemetry listener would add that cost.
    /// </summary>
    private sealed class MeterFactory : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}
