using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Static.Publisher.Stores;
using Static.Shared.Artifacts;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Shared.Manifests;
using Static.Templates;

namespace Static.Publisher.Publishing;

/// <summary>
/// One publish: plan (what to render), render, diff by hash against the live manifest, upload what changed
/// in a safe order (immutable copies, then stable paths, then manifest shards, then the root), and record
/// the run. Holds the publisher's advisory lock throughout, so runs never interleave.
/// </summary>
public sealed partial class SitePublisher(
    PublishConfig config,
    RendererSource renderers,
    ArtifactDataReader data,
    CatalogStore catalog,
    PublishStateStore state,
    Operations.PinState pins,
    Edge.PendingInvalidations invalidations,
    IObjectStore store,
    ILogger<SitePublisher> logger)
{
    public async Task<PublishResult> PublishAsync(PublishOptions options, IProgress<PublishProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var stages = new StageClock();
        await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);

        IAsyncDisposable? held = options.DryRun ? null : await state.AcquireLockAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!options.DryRun)
            {
                // A rollback pinned a version: no publish may undo it until 'publisher resume'.
                await pins.ThrowIfPinnedAsync(cancellationToken).ConfigureAwait(false);
            }

            progress?.Report(new PublishProgress("planning", 0, 1));
            stages.Lap("lock");
            var live = await state.LoadLiveAsync(cancellationToken).ConfigureAwait(false);
            stages.Lap("live");
            var (siteConfig, configVersion) = await data.GetSiteConfigAsync(cancellationToken).ConfigureAwait(false);
            var categories = await catalog.GetCategoriesAsync(cancellationToken).ConfigureAwait(false);
            var products = await data.GetProductVersionsAsync(cancellationToken).ConfigureAwait(false);
            var site = new SiteInfo(config.Site.Name, siteConfig);
            stages.Lap("catalog");

            var universe = Universe(categories, products);
            var entities = CurrentEntities(categories, products, configVersion);
            var settingsHash = SettingsHash();
            var full = options.Full || live.Root is null || live.Entities.Count == 0 || live.SettingsHash != settingsHash;
            var renderSet = full
                ? universe.Keys.ToHashSet(StringComparer.Ordinal)
                : await IncrementalRenderSetAsync(live, universe, entities, categories, products, options, cancellationToken).ConfigureAwait(false);
            var removed = live.Artifacts.Keys.Where(p => !universe.ContainsKey(p)).Order(StringComparer.Ordinal).ToList();

            stages.Lap("plan");
            long? run = options.DryRun ? null : await state.StartAsync(options.Trigger, full, settingsHash, cancellationToken).ConfigureAwait(false);
            var committed = false;
            try
            {
                var rendered = await RenderAsync(renderSet.Select(p => universe[p]).ToList(), site, categories, full, stages, progress, cancellationToken).ConfigureAwait(false);
                var changed = rendered.Where(r => !live.Artifacts.TryGetValue(r.Path, out var was) || was.Sha256 != r.Sha256 || was.HeadersHash != r.HeadersHash)
                    .OrderBy(r => r.Path, StringComparer.Ordinal).ToList();
                var unchanged = rendered.Count - changed.Count;
                foreach (var same in rendered.Except(changed))
                {
                    same.Body = null;   // only changed bodies are kept until upload
                }

                var newVersion = run ?? (live.Version ?? 0) + 1;
                var manifest = BuildManifest(live, rendered, changed, removed, newVersion);
                var toInvalidate = Invalidations(changed, removed);
                if (!full && (options.ForcePaths is { Count: > 0 } || options.ForceKeys is { Count: > 0 }))
                {
                    // A scoped republish refreshes the edge for what it names, even where the bytes are the same.
                    toInvalidate = [.. toInvalidate.Union(await ForcedPathsAsync(options, universe, cancellationToken).ConfigureAwait(false), StringComparer.Ordinal).Order(StringComparer.Ordinal)];
                }

                var invalidation = await state.PlanInvalidationAsync(toInvalidate, config.Cdn.CloudFront, cancellationToken).ConfigureAwait(false);
                stages.Lap("diff");

                if (options.DryRun)
                {
                    var plannedKeys = PlannedKeys(live, changed, manifest);
                    return new PublishResult(live.Version, null, true, full, universe.Count, rendered.Count, changed.Count, unchanged, removed.Count,
                        plannedKeys.Count, changed.Sum(c => (long)c.Size), watch.Elapsed,
                        changed.Select(c => c.Path).ToList(), removed, toInvalidate, plannedKeys) { Stages = stages.Laps, Invalidation = invalidation };
                }

                var written = new ConcurrentBag<string>();
                long bytes = 0;
                if (manifest.Changed)
                {
                    bytes = await UploadAsync(live, changed, removed, manifest, written, progress, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await RepairRootAsync(live, written, cancellationToken).ConfigureAwait(false);
                }

                stages.Lap("upload");

                await state.CommitAsync(new PublishCommit(
                    run!.Value,
                    rendered.Select(r => new ArtifactRow(r.Path, r.Sha256, r.HeadersHash, r.Size, r.Shard, r.DependencyKeys)).ToList(),
                    removed,
                    ChangedEntities(live, entities),
                    live.Entities.Keys.Where(k => !entities.ContainsKey(k)).ToList(),
                    universe.Count, changed.Count, unchanged, removed.Count, bytes, toInvalidate.Count,
                    manifest.Changed ? Encoding.UTF8.GetString(manifest.RootBytes) : null,
                    manifest.Changed ? manifest.RootSha256 : null, invalidation), cancellationToken).ConfigureAwait(false);
                committed = true;

                // The version is live: now the edge may drop what changed (and anything owed from earlier runs).
                // Nothing after the commit may fail the run: what the CDN did not take stays owed, recorded.
                Edge.InvalidationDelivery delivery;
                try
                {
                    delivery = await invalidations.DeliverAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogDeliveryFailed(logger, run.Value, e);
                    delivery = new Edge.InvalidationDelivery(0, await state.PendingBatchesAsync(CancellationToken.None).ConfigureAwait(false));
                }

                stages.Lap("invalidate");

                stages.Lap("record");
                var liveVersion = manifest.Changed ? run : live.Version;
                LogPublished(logger, run.Value, liveVersion ?? 0, universe.Count, changed.Count, unchanged, removed.Count, watch.Elapsed.TotalSeconds);
                return new PublishResult(liveVersion, run, false, full, universe.Count, rendered.Count, changed.Count, unchanged, removed.Count,
                    written.Count, bytes, watch.Elapsed, changed.Select(c => c.Path).ToList(), removed, toInvalidate,
                    written.Order(StringComparer.Ordinal).ToList()) { Stages = stages.Laps, Invalidation = invalidation, InvalidationsSent = delivery.Sent, InvalidationsPending = delivery.StillPending };
            }
            catch (Exception e) when (run is not null && !committed)
            {
                await state.FailAsync(run.Value, e.Message).ConfigureAwait(false);
                LogFailed(logger, run.Value, e);
                throw;
            }
        }
        finally
        {
            if (held is not null)
            {
                await held.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The live paths a scoped republish names: its paths ("/" is /index.html) and the dependents of its keys.</summary>
    private async Task<IReadOnlyList<string>> ForcedPathsAsync(PublishOptions options, Dictionary<string, ArtifactPath> universe, CancellationToken cancellationToken)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        paths.UnionWith((options.ForcePaths ?? []).Select(p => p == "/" ? ArtifactPath.Home : p));
        paths.UnionWith(await state.FindDependentsAsync(options.ForceKeys ?? [], cancellationToken).ConfigureAwait(false));
        paths.IntersectWith(universe.Keys);
        if (paths.Contains(ArtifactPath.Home))
        {
            paths.Add("/");
        }

        return [.. paths];
    }

    /// <summary>Seconds per stage, for the summary and the benchmark.</summary>
    private sealed class StageClock
    {
        private readonly Stopwatch watch = Stopwatch.StartNew();
        private readonly Dictionary<string, double> laps = [];

        public IReadOnlyDictionary<string, double> Laps => laps;

        public void Lap(string stage)
        {
            laps[stage] = Math.Round(watch.Elapsed.TotalSeconds, 3);
            watch.Restart();
        }
    }

    /// <summary>The settings that shape artifacts and their headers; a change makes the next publish a full one.</summary>
    private string SettingsHash()
    {
        var p = config.Publish;
        // Besides the settings: the templates and how cache tags are stored, so deploying either re-renders
        // (and re-uploads what differs) once.
        var text = string.Join('\n', ObjectKeys.FormatVersion, Templates.ArtifactRenderer.TemplatesFingerprint, SurrogateKeys.Header, SurrogateKeys.FormatVersion, config.Site.Name, config.Catalog.ListingPageSize, config.Catalog.FeaturedCount,
            p.CacheControl.Html, p.CacheControl.Json, p.CacheControl.Immutable, p.CacheControl.Manifest, p.ProductsPerShard, p.CategoriesPerShard);
        return ContentHash.Sha256(Encoding.UTF8.GetBytes(text))[..16];
    }

    private static Dictionary<string, ArtifactPath> Universe(IReadOnlyList<Category> categories, IReadOnlyList<ProductVersion> products)
    {
        var universe = new Dictionary<string, ArtifactPath>((products.Count * 2) + (categories.Count * 2) + 4, StringComparer.Ordinal);
        foreach (var fixedPath in new[] { ArtifactPath.HomeHtml, ArtifactPath.HomeJson, ArtifactPath.ConfigJson, ArtifactPath.NotFoundHtml })
        {
            universe[fixedPath.Path] = fixedPath;
        }

        foreach (var c in categories)
        {
            Add(ArtifactPath.CategoryHtml(c));
            Add(ArtifactPath.CategoryJson(c));
        }

        foreach (var p in products)
        {
            Add(ArtifactPath.ProductHtml(p.Id));
            Add(ArtifactPath.ProductJson(p.Id));
        }

        return universe;

        void Add(ArtifactPath path) => universe[path.Path] = path;
    }

    private static Dictionary<string, PublishedEntity> CurrentEntities(IReadOnlyList<Category> categories, IReadOnlyList<ProductVersion> products, long configVersion)
    {
        var entities = new Dictionary<string, PublishedEntity>(products.Count + categories.Count + 1, StringComparer.Ordinal)
        {
            [DependencyKeys.Config] = new(DependencyKeys.Config, configVersion, []),
        };
        foreach (var c in categories)
        {
            var key = DependencyKeys.Category(c.Id);
            entities[key] = new PublishedEntity(key, c.RowVersion, []);
        }

        foreach (var p in products)
        {
            var key = DependencyKeys.Product(p.Id);
            entities[key] = new PublishedEntity(key, p.RowVersion, ChangeImpact.ListingKeys(new ProductPlacement(p.CategoryId, p.FeaturedRank)));
        }

        return entities;
    }

    private static List<PublishedEntity> ChangedEntities(LiveState live, Dictionary<string, PublishedEntity> current) =>
        current.Values.Where(e => !live.Entities.TryGetValue(e.Key, out var was) || was.RowVersion != e.RowVersion
            || !was.ListingKeys.SequenceEqual(e.ListingKeys, StringComparer.Ordinal)).ToList();

    /// <summary>
    /// Everything that may have changed since the live version: for each entity whose version moved (or that
    /// appeared or vanished), the keys it touches (<see cref="ChangeImpact"/>, the rule the Api evicts by too),
    /// then every live path that depended on one of those keys, every path those keys name now, and every path
    /// that is new. Rendering a little too much is cheap: the hash diff decides
    /// what is uploaded.
    /// </summary>
    private async Task<HashSet<string>> IncrementalRenderSetAsync(
        LiveState live, Dictionary<string, ArtifactPath> universe, Dictionary<string, PublishedEntity> current,
        IReadOnlyList<Category> categories, IReadOnlyList<ProductVersion> products, PublishOptions options, CancellationToken cancellationToken)
    {
        var affected = new HashSet<string>(StringComparer.Ordinal);
        affected.UnionWith(options.ForceKeys ?? []);
        var placements = products.ToDictionary(p => DependencyKeys.Product(p.Id), p => new ProductPlacement(p.CategoryId, p.FeaturedRank), StringComparer.Ordinal);
        foreach (var entity in current.Values)
        {
            if (live.Entities.TryGetValue(entity.Key, out var was) && was.RowVersion == entity.RowVersion
                && was.ListingKeys.SequenceEqual(entity.ListingKeys, StringComparer.Ordinal))
            {
                continue;
            }

            // The rank a product had is not recorded: a featured product that changed may have moved within the set.
            affected.UnionWith(ChangeImpact.Of(entity.Key, was is null ? null : ProductPlacement.FromListingKeys(was.ListingKeys), placements.GetValueOrDefault(entity.Key)));
        }

        foreach (var gone in live.Entities.Values.Where(e => !current.ContainsKey(e.Key)))
        {
            affected.UnionWith(ChangeImpact.Of(gone.Key, ProductPlacement.FromListingKeys(gone.ListingKeys), null));
        }

        var paths = new HashSet<string>(StringComparer.Ordinal);
        if (affected.Count > 0)
        {
            paths.UnionWith(await state.FindDependentsAsync(affected, cancellationToken).ConfigureAwait(false));
            var productIds = products.Select(p => p.Id).ToHashSet();
            var categoriesById = categories.ToDictionary(c => c.Id);
            foreach (var key in affected)
            {
                foreach (var path in PathsNamedBy(key, productIds, categoriesById))
                {
                    paths.Add(path.Path);
                }
            }
        }

        paths.UnionWith(universe.Keys.Where(p => !live.Artifacts.ContainsKey(p)));
        paths.UnionWith((options.ForcePaths ?? []).Select(p => p == "/" ? ArtifactPath.Home : p));
        paths.IntersectWith(universe.Keys);
        return paths;
    }

    /// <summary>The stable paths a dependency key names in the current catalog.</summary>
    private static IEnumerable<ArtifactPath> PathsNamedBy(string key, HashSet<long> productIds, Dictionary<long, Category> categories)
    {
        switch (key)
        {
            case DependencyKeys.Featured or DependencyKeys.Categories:
                yield return ArtifactPath.HomeHtml;
                yield return ArtifactPath.HomeJson;
                yield break;
            case DependencyKeys.Config:
                yield return ArtifactPath.ConfigJson;
                yield return ArtifactPath.NotFoundHtml;
                yield break;
        }

        var parts = key.Split(':');
        if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            if (parts[0] == "product" && productIds.Contains(id))
            {
                yield return ArtifactPath.ProductHtml(id);
                yield return ArtifactPath.ProductJson(id);
            }
            else if (parts[0] == "category" && categories.TryGetValue(id, out var category))
            {
                yield return ArtifactPath.CategoryHtml(category);
                yield return ArtifactPath.CategoryJson(category);
            }
        }
    }
}
