using System.Globalization;
using System.Text;
using Static.Shared.Artifacts;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Shared.Manifests;

namespace Static.Publisher.Publishing;

/// <summary>
/// What a run is to do: the universe of stable paths the catalog names now, the entities and their versions,
/// whether it is full (asked, nothing live, or the settings fingerprint moved), the paths to render and the
/// live paths that vanished.
/// </summary>
internal sealed record PublishPlan(
    Dictionary<string, ArtifactPath> Universe,
    Dictionary<string, PublishedEntity> Entities,
    string SettingsHash,
    bool Full,
    HashSet<string> RenderSet,
    List<string> Removed);

/// <summary>
/// Plans a run against the live version: the universe, the entities, the settings fingerprint, and for an
/// incremental run the render set — the entities that changed, turned into dependency keys by
/// <see cref="ChangeImpact"/>, looked up in the dependency index.
/// </summary>
internal sealed class PublishPlanner(PublishConfig config, PublishStateStore state)
{
    public async Task<PublishPlan> PlanAsync(
        LiveState live, IReadOnlyList<Category> categories, IReadOnlyList<ProductVersion> products, long configVersion,
        PublishOptions options, CancellationToken cancellationToken)
    {
        var universe = Universe(categories, products, config.Site.SitemapUrlsPerFile);
        var entities = CurrentEntities(categories, products, configVersion);
        var settingsHash = SettingsHash();
        var full = options.Full || live.Root is null || live.Entities.Count == 0 || live.SettingsHash != settingsHash;
        var renderSet = full
            ? universe.Keys.ToHashSet(StringComparer.Ordinal)
            : await IncrementalRenderSetAsync(live, universe, entities, categories, products, options, cancellationToken).ConfigureAwait(false);
        var removed = live.Artifacts.Keys.Where(p => !universe.ContainsKey(p)).Order(StringComparer.Ordinal).ToList();
        return new PublishPlan(universe, entities, settingsHash, full, renderSet, removed);
    }

    /// <summary>The live paths a scoped republish names: its paths ("/" is /index.html) and the dependents of its keys.</summary>
    public async Task<IReadOnlyList<string>> ForcedPathsAsync(PublishOptions options, Dictionary<string, ArtifactPath> universe, CancellationToken cancellationToken)
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

    /// <summary>The settings that shape artifacts and their headers; a change makes the next publish a full one.</summary>
    public string SettingsHash()
    {
        var p = config.Publish;
        // Besides the settings: the templates and how cache tags are stored, so deploying either re-renders
        // (and re-uploads what differs) once.
        var text = string.Join('\n', ObjectKeys.FormatVersion, Templates.ArtifactRenderer.TemplatesFingerprint, SurrogateKeys.Header, SurrogateKeys.FormatVersion, config.Site.Name, config.Catalog.ListingPageSize, config.Catalog.FeaturedCount,
            p.CacheControl.Html, p.CacheControl.Json, p.CacheControl.Immutable, p.CacheControl.Manifest, p.CacheControl.Asset, p.ProductsPerShard, p.CategoriesPerShard,
            config.Client.ApiBaseUrl, config.Client.RefreshSeconds, config.Client.ServiceWorker,
            config.Site.BaseUrl, config.Site.Locale, config.Site.SitemapUrlsPerFile,
            Shared.Images.ImagePipeline.From(config.Images).Token, string.Join(',', config.Images.EffectiveWidths()));
        return ContentHash.Sha256(Encoding.UTF8.GetBytes(text))[..16];
    }

    public static Dictionary<string, ArtifactPath> Universe(IReadOnlyList<Category> categories, IReadOnlyList<ProductVersion> products, int sitemapUrlsPerFile)
    {
        var universe = new Dictionary<string, ArtifactPath>((products.Count * 2) + (categories.Count * 2) + 8, StringComparer.Ordinal);
        foreach (var fixedPath in new[] { ArtifactPath.HomeHtml, ArtifactPath.HomeJson, ArtifactPath.ConfigJson, ArtifactPath.NotFoundHtml, ArtifactPath.RobotsTxt, ArtifactPath.SitemapIndex })
        {
            universe[fixedPath.Path] = fixedPath;
        }

        foreach (var sitemap in Sitemaps.Files(categories.Select(c => c.Id), products.Select(p => p.Id), sitemapUrlsPerFile))
        {
            universe[sitemap.Path] = sitemap;
        }

        // The asset pipeline's files (src/Templates/assets): they change only with a deployment, which changes
        // the templates fingerprint and so makes the next publish a full one.
        foreach (var asset in Templates.SiteAssets.All)
        {
            universe[asset.Path.Path] = asset.Path;
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

    public static Dictionary<string, PublishedEntity> CurrentEntities(IReadOnlyList<Category> categories, IReadOnlyList<ProductVersion> products, long configVersion)
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

    public static List<PublishedEntity> ChangedEntities(LiveState live, Dictionary<string, PublishedEntity> current) =>
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
                foreach (var path in PathsNamedBy(key, productIds, categoriesById, config.Site.SitemapUrlsPerFile))
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
    private static IEnumerable<ArtifactPath> PathsNamedBy(string key, HashSet<long> productIds, Dictionary<long, Category> categories, int sitemapUrlsPerFile)
    {
        switch (key)
        {
            case DependencyKeys.Featured:
                yield return ArtifactPath.HomeHtml;
                yield return ArtifactPath.HomeJson;
                yield break;
            case DependencyKeys.Categories:
                yield return ArtifactPath.HomeHtml;
                yield return ArtifactPath.HomeJson;
                yield return ArtifactPath.SitemapIndex;
                yield break;
            case DependencyKeys.Sitemap:
                yield return ArtifactPath.SitemapIndex;
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
                yield return ArtifactPath.Sitemap(ArtifactPath.SitemapProducts, ArtifactPath.SitemapNumber(id, sitemapUrlsPerFile));
            }
            else if (parts[0] == "category" && categories.TryGetValue(id, out var category))
            {
                yield return ArtifactPath.CategoryHtml(category);
                yield return ArtifactPath.CategoryJson(category);
                yield return ArtifactPath.Sitemap(ArtifactPath.SitemapPages, ArtifactPath.SitemapNumber(id, sitemapUrlsPerFile));
            }
        }
    }
}
