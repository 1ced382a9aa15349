using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Static.Publisher.Stores;
using Static.Shared.Artifacts;
using Static.Shared.Catalog;
using Static.Shared.Manifests;
using Static.Templates;

namespace Static.Publisher.Publishing;

public sealed partial class SitePublisher
{
    /// <summary>One rendered artifact on its way to the store.</summary>
    private sealed class RenderedItem(ArtifactPath artifact, byte[] body, string sha256, string headersHash, string cacheControl, string shard, string[] dependencyKeys, string surrogateKeys)
    {
        public ArtifactPath Artifact { get; } = artifact;

        public string Path => Artifact.Path;

        public byte[]? Body { get; set; } = body;

        public int Size { get; } = body.Length;

        public string Sha256 { get; } = sha256;

        public string HeadersHash { get; } = headersHash;

        public string CacheControl { get; } = cacheControl;

        public string Shard { get; } = shard;

        public string[] DependencyKeys { get; } = dependencyKeys;

        public string SurrogateKeys { get; } = surrogateKeys;
    }

    /// <summary>The new manifest: which shards changed, their bytes, and the root.</summary>
    private sealed record ManifestPlan(bool Changed, IReadOnlyList<(string Key, byte[] Bytes)> Shards, byte[] RootBytes, string RootSha256);

    private async Task<List<RenderedItem>> RenderAsync(
        List<ArtifactPath> paths, SiteInfo site, IReadOnlyList<Category> categories, bool full,
        StageClock stages, IProgress<PublishProgress>? progress, CancellationToken cancellationToken)
    {
        if (paths.Count == 0)
        {
            return [];
        }

        // Compile the templates (once per process) while the data loads.
        var compiling = renderers.GetAsync();
        var categoriesById = categories.ToDictionary(c => c.Id);
        var categoriesBySlug = categories.ToDictionary(c => c.Slug, StringComparer.Ordinal);

        // Load what the render set reads, in a few batch queries.
        var productIds = paths.Where(p => p.Kind is ArtifactKind.ProductHtml or ArtifactKind.ProductJson).Select(p => p.Id).ToHashSet();
        var products = new Dictionary<long, Product>(productIds.Count);
        if (full)
        {
            await foreach (var p in data.GetAllProductsAsync(cancellationToken).ConfigureAwait(false))
            {
                products[p.Id] = p;
            }
        }
        else
        {
            foreach (var p in await data.GetProductsAsync(productIds, cancellationToken).ConfigureAwait(false))
            {
                products[p.Id] = p;
            }
        }

        var listedCategories = paths.Where(p => p.Kind is ArtifactKind.CategoryHtml or ArtifactKind.CategoryJson).Select(p => categoriesBySlug[p.Slug!].Id).ToHashSet();
        var pages = await data.GetFirstPagesAsync(listedCategories, config.Catalog.ListingPageSize, cancellationToken).ConfigureAwait(false);
        var needsHome = paths.Any(p => p.Kind is ArtifactKind.HomeHtml or ArtifactKind.HomeJson);
        var featured = needsHome ? await data.GetFeaturedAsync(config.Catalog.FeaturedCount, cancellationToken).ConfigureAwait(false) : [];
        var topLevel = categories.Where(c => c.ParentId is null).ToList();

        var renderer = await compiling.ConfigureAwait(false);
        stages.Lap("load");
        var items = new RenderedItem[paths.Count];
        var done = 0;
        var parallelism = config.Publish.RenderParallelism > 0 ? config.Publish.RenderParallelism : Environment.ProcessorCount;
        await Parallel.ForEachAsync(Enumerable.Range(0, paths.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (i, _) =>
        {
            var path = paths[i];
            ArtifactData model = path.Kind switch
            {
                ArtifactKind.HomeHtml or ArtifactKind.HomeJson => new HomeData(path, site, featured, topLevel),
                ArtifactKind.ConfigJson => new ConfigData(path, site),
                ArtifactKind.NotFoundHtml => new NotFoundData(path, site),
                ArtifactKind.ProductHtml or ArtifactKind.ProductJson => new ProductData(path, site, products[path.Id], categoriesById[products[path.Id].CategoryId]),
                ArtifactKind.CategoryHtml or ArtifactKind.CategoryJson => CategoryModel(path, site, categoriesBySlug[path.Slug!], pages),
                _ => throw new InvalidOperationException($"No data for {path.Path}"),
            };
            var artifact = await renderer.RenderAsync(model).ConfigureAwait(false);
            items[i] = Describe(artifact);
            var n = Interlocked.Increment(ref done);
            if ((n & 1023) == 0 || n == paths.Count)
            {
                progress?.Report(new PublishProgress("rendering", n, paths.Count));
            }
        }).ConfigureAwait(false);
        stages.Lap("render");
        return [.. items];
    }

    private static CategoryData CategoryModel(ArtifactPath path, SiteInfo site, Category category, IReadOnlyDictionary<long, ListingPage> pages)
    {
        var page = pages.TryGetValue(category.Id, out var p) ? p : new ListingPage([], false);
        return new CategoryData(ArtifactPathWithId(path, category), site, category, page.Products, page.HasMore);
    }

    private static ArtifactPath ArtifactPathWithId(ArtifactPath path, Category category) =>
        path.IsHtml ? ArtifactPath.CategoryHtml(category) : ArtifactPath.CategoryJson(category);

    private RenderedItem Describe(RenderedArtifact artifact)
    {
        var cacheControl = artifact.Path.Class == ArtifactClass.Html ? config.Publish.CacheControl.Html : config.Publish.CacheControl.Json;
        var keys = artifact.DependencyKeys.ToArray();
        var surrogate = SurrogateKeys.Format(SurrogateKeys.For(artifact.Path, keys));
        var headersHash = ContentHash.Sha256(System.Text.Encoding.UTF8.GetBytes($"{artifact.ContentType}\n{cacheControl}\n{surrogate}"))[..16];
        var shard = ManifestSharding.ShardOf(artifact.Path, config.Publish.ProductsPerShard, config.Publish.CategoriesPerShard);
        return new RenderedItem(artifact.Path, artifact.Body, ContentHash.Sha256(artifact.Body), headersHash, cacheControl, shard, keys, surrogate);
    }

    private static ManifestPlan BuildManifest(LiveState live, List<RenderedItem> rendered, List<RenderedItem> changed, List<string> removed, long version)
    {
        // Start from the live entries, apply this run's hashes and removals, rebuild the touched shards only.
        var entries = new Dictionary<string, (string Sha, string Shard)>(live.Artifacts.Count + rendered.Count, StringComparer.Ordinal);
        foreach (var a in live.Artifacts.Values)
        {
            entries[a.Path] = (a.Sha256, a.Shard);
        }

        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in rendered)
        {
            if (entries.TryGetValue(r.Path, out var was) && was.Shard != r.Shard)
            {
                touched.Add(was.Shard);
            }

            entries[r.Path] = (r.Sha256, r.Shard);
        }

        foreach (var c in changed)
        {
            touched.Add(c.Shard);
        }

        foreach (var path in removed)
        {
            touched.Add(entries[path].Shard);
            entries.Remove(path);
        }

        var rootShards = new SortedDictionary<string, string>(live.Root?.Shards ?? new SortedDictionary<string, string>(), StringComparer.Ordinal);
        if (live.Root is null)
        {
            touched.UnionWith(entries.Values.Select(e => e.Shard));
        }

        var shards = new List<(string Key, byte[] Bytes)>();
        foreach (var group in entries.Where(e => touched.Contains(e.Value.Shard)).GroupBy(e => e.Value.Shard))
        {
            var shard = new ManifestShard(ObjectKeys.FormatVersion, group.Key,
                new SortedDictionary<string, string>(group.ToDictionary(e => e.Key, e => e.Value.Sha), StringComparer.Ordinal));
            var (bytes, hash) = ManifestSharding.Serialize(shard);
            if (!rootShards.TryGetValue(group.Key, out var previous) || previous != hash)
            {
                shards.Add((ObjectKeys.Shard(group.Key, hash), bytes));
            }

            rootShards[group.Key] = hash;
        }

        var occupied = entries.Values.Select(e => e.Shard).ToHashSet(StringComparer.Ordinal);
        foreach (var emptied in touched.Where(s => !occupied.Contains(s)))
        {
            rootShards.Remove(emptied);
        }

        var changedAnything = live.Root is null || changed.Count > 0 || removed.Count > 0 || shards.Count > 0;
        var root = new ManifestRoot(ObjectKeys.FormatVersion, changedAnything ? version : live.Version ?? version,
            ObjectKeys.ShardUrlTemplate, ObjectKeys.ImmutableUrlTemplate, rootShards);
        var rootBytes = ManifestSharding.Serialize(root);
        return new ManifestPlan(changedAnything, shards, rootBytes, ContentHash.Sha256(rootBytes));
    }

    private static List<string> Invalidations(List<RenderedItem> changed, List<string> removed)
    {
        var paths = changed.Select(c => c.Path).Concat(removed).ToList();
        if (paths.Contains(ArtifactPath.Home))
        {
            paths.Add("/");   // the edge serves /index.html at / as well
        }

        paths.Sort(StringComparer.Ordinal);
        return paths;
    }

    private static List<string> PlannedKeys(LiveState live, List<RenderedItem> changed, ManifestPlan manifest)
    {
        var liveHashes = live.Artifacts.Values.Select(a => a.Sha256).ToHashSet(StringComparer.Ordinal);
        var keys = changed.Where(c => !liveHashes.Contains(c.Sha256)).Select(c => ObjectKeys.Immutable(c.Sha256, c.Artifact.Extension))
            .Concat(changed.Select(c => c.Artifact.Key))
            .Concat(manifest.Shards.Select(s => s.Key));
        if (manifest.Changed)
        {
            keys = keys.Append(ObjectKeys.ManifestRoot);
        }

        return keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    private async Task<long> UploadAsync(
        LiveState live, List<RenderedItem> changed, List<string> removed, ManifestPlan manifest,
        ConcurrentBag<string> written, IProgress<PublishProgress>? progress, CancellationToken cancellationToken)
    {
        var cc = config.Publish.CacheControl;
        var liveHashes = live.Artifacts.Values.Select(a => a.Sha256).ToHashSet(StringComparer.Ordinal);

        // 1. Immutable, content-addressed copies (skipping bytes some live path already has).
        var immutables = changed.Where(c => !liveHashes.Contains(c.Sha256)).DistinctBy(c => c.Sha256)
            .Select(c => new ObjectToPut(ObjectKeys.Immutable(c.Sha256, c.Artifact.Extension), c.Body!, c.Artifact.ContentType, cc.Immutable, Meta(c), ContentAddressed: true))
            .ToList();
        // 2. Stable paths, overwritten in place.
        var stables = changed.Select(c => new ObjectToPut(c.Artifact.Key, c.Body!, c.Artifact.ContentType, c.CacheControl, Meta(c))).ToList();
        // 3. Shards (immutable by name), 4. the root last.
        var shards = manifest.Shards.Select(s => new ObjectToPut(s.Key, s.Bytes, "application/json; charset=utf-8", cc.Immutable, new Dictionary<string, string>(), ContentAddressed: true)).ToList();
        var root = new ObjectToPut(ObjectKeys.ManifestRoot, manifest.RootBytes, "application/json; charset=utf-8", cc.Manifest,
            new Dictionary<string, string> { ["sha256"] = manifest.RootSha256 });

        var total = immutables.Count + stables.Count + removed.Count + shards.Count + 1;
        var done = 0;
        long bytes = 0;
        foreach (var (stage, batch) in new[] { ("uploading immutable copies", immutables), ("uploading stable paths", stables) })
        {
            await PutAllAsync(stage, batch).ConfigureAwait(false);
        }

        await Parallel.ForEachAsync(removed, Options(), async (path, ct) =>
        {
            await store.DeleteAsync(path[1..], ct).ConfigureAwait(false);
            Report("deleting removed paths");
        }).ConfigureAwait(false);
        await PutAllAsync("uploading manifest shards", shards).ConfigureAwait(false);
        await PutAllAsync("swapping the manifest root", [root]).ConfigureAwait(false);
        return bytes;

        async Task PutAllAsync(string stage, List<ObjectToPut> batch)
        {
            await Parallel.ForEachAsync(batch, Options(), async (item, ct) =>
            {
                await store.PutAsync(item, ct).ConfigureAwait(false);
                written.Add(item.Key);
                Interlocked.Add(ref bytes, item.Body.Length);
                Report(stage);
            }).ConfigureAwait(false);
        }

        void Report(string stage)
        {
            var n = Interlocked.Increment(ref done);
            if ((n & 255) == 0 || n == total)
            {
                progress?.Report(new PublishProgress(stage, n, total));
            }
        }

        ParallelOptions Options() => new() { MaxDegreeOfParallelism = config.Publish.UploadParallelism, CancellationToken = cancellationToken };

        static Dictionary<string, string> Meta(RenderedItem c) => new() { [SurrogateKeys.MetadataKey] = c.SurrogateKeys, ["sha256"] = c.Sha256 };
    }

    /// <summary>
    /// Nothing changed: make sure the store's root is the live one (a run that died after uploading a root but
    /// before recording it leaves a newer root in the store; the recorded one is what the rows describe).
    /// </summary>
    private async Task RepairRootAsync(LiveState live, ConcurrentBag<string> written, CancellationToken cancellationToken)
    {
        if (live.Root is null)
        {
            return;
        }

        var stored = await store.GetAsync(ObjectKeys.ManifestRoot, cancellationToken).ConfigureAwait(false);
        var liveBytes = ManifestSharding.Serialize(live.Root);
        if (stored is not null && stored.Body.AsSpan().SequenceEqual(liveBytes))
        {
            return;
        }

        await store.PutAsync(new ObjectToPut(ObjectKeys.ManifestRoot, liveBytes, "application/json; charset=utf-8", config.Publish.CacheControl.Manifest,
            new Dictionary<string, string> { ["sha256"] = ContentHash.Sha256(liveBytes) }), cancellationToken).ConfigureAwait(false);
        written.Add(ObjectKeys.ManifestRoot);
        LogRootRepaired(logger, live.Version ?? 0);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "Published run {Run}: live version {Version}, {Artifacts} artifacts, {Uploaded} uploaded, {Unchanged} unchanged, {Deleted} deleted in {Seconds:0.00} s")]
    private static partial void LogPublished(ILogger logger, long run, long version, int artifacts, int uploaded, int unchanged, int deleted, double seconds);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Publish run {Run} failed; the live version is unchanged")]
    private static partial void LogFailed(ILogger logger, long run, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Run {Run} is live, but delivering invalidations failed; they stay owed for the next run")]
    private static partial void LogDeliveryFailed(ILogger logger, long run, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "The store's manifest root did not match live version {Version}; re-uploaded it")]
    private static partial void LogRootRepaired(ILogger logger, long version);
}
