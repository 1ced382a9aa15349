using Static.Shared.Catalog;

namespace Static.Shared.Artifacts;

/// <summary>Site-wide values every page shows (from publish-config.json and the site config document).</summary>
/// <remarks>
/// <see cref="Client"/> is rendered into every page, so whoever builds a <see cref="SiteInfo"/> passes the
/// configured settings (<see cref="ClientSettings.From"/>): the publisher and the Api must give the same bytes.
/// </remarks>
public sealed record SiteInfo(string Name, SiteConfig Config, ClientSettings Client);

/// <summary>
/// What pages tell the browser module (publish-config.json <c>client</c>, and the sharding that says which shard holds
/// a page's data), and the image pipeline that names the variants pages reference (<c>images</c>; the default when null).
/// </summary>
public sealed record ClientSettings(string ApiBaseUrl, int RefreshSeconds, bool ServiceWorker, int ProductsPerShard = 256, int CategoriesPerShard = 512, Images.ImagePipeline? ImagePipeline = null)
{
    public static ClientSettings None { get; } = new("", 0, false);

    /// <summary>The image pipeline pages are rendered with.</summary>
    public Images.ImagePipeline Images => ImagePipeline ?? Shared.Images.ImagePipeline.Default;

    public static ClientSettings From(Configuration.PublishConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new(config.Client.ApiBaseUrl, config.Client.RefreshSeconds, config.Client.ServiceWorker, config.Publish.ProductsPerShard, config.Publish.CategoriesPerShard,
            Shared.Images.ImagePipeline.From(config.Images));
    }

    /// <summary>The manifest shard that holds a stable path's entry.</summary>
    public string ShardOf(ArtifactPath path) => Manifests.ManifestSharding.ShardOf(path, ProductsPerShard, CategoriesPerShard);
}

/// <summary>The data one artifact is rendered from. The Publisher and the Api build these the same way.</summary>
public abstract record ArtifactData(ArtifactPath Path, SiteInfo Site)
{
    /// <summary>The dependency keys of this artifact (sorted, distinct): what invalidates it.</summary>
    public abstract IReadOnlyList<string> DependencyKeys();
}

public sealed record HomeData(ArtifactPath Path, SiteInfo Site, IReadOnlyList<Product> Featured, IReadOnlyList<Category> Categories)
    : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys() => Keys.Sorted(
        Featured.Select(p => Artifacts.DependencyKeys.Product(p.Id))
            .Concat(Categories.Select(c => Artifacts.DependencyKeys.Category(c.Id)))
            .Append(Artifacts.DependencyKeys.Featured)
            .Append(Artifacts.DependencyKeys.Categories)
            .Append(Artifacts.DependencyKeys.Config));
}

public sealed record ConfigData(ArtifactPath Path, SiteInfo Site) : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys() => [Artifacts.DependencyKeys.Config];
}

public sealed record ProductData(ArtifactPath Path, SiteInfo Site, Product Product, Category Category) : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys()
    {
        var keys = new List<string> { Artifacts.DependencyKeys.Product(Product.Id), Artifacts.DependencyKeys.Category(Category.Id) };
        if (Path.IsHtml)
        {
            keys.Add(Artifacts.DependencyKeys.Config);   // the layout shows the site name and navigation
        }

        return Keys.Sorted(keys);
    }
}

/// <summary>
/// A page of a category listing (<see cref="ArtifactPath.Page"/>: 1 is published, 2 and on are served by the
/// Api); <see cref="HasMore"/> says whether the next page exists. Every page carries the keys of the
/// products it shows and its query key (<see cref="ChangeImpact"/> relies on both).
/// </summary>
public sealed record CategoryData(ArtifactPath Path, SiteInfo Site, Category Category, IReadOnlyList<Product> Products, bool HasMore)
    : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys()
    {
        var keys = Products.Select(p => Artifacts.DependencyKeys.Product(p.Id)).ToList();
        keys.Add(Artifacts.DependencyKeys.Category(Category.Id));
        keys.Add(Artifacts.DependencyKeys.CategoryList(Category.Id));
        if (Path.IsHtml)
        {
            keys.Add(Artifacts.DependencyKeys.Config);
        }

        return Keys.Sorted(keys);
    }
}

/// <summary>
/// A file of the asset pipeline (src/Templates/assets): the same bytes whatever the catalog holds. Published at its
/// stable path and, content-addressed, under <c>/_immutable/</c>, which is what pages reference.
/// </summary>
public sealed record AssetData(ArtifactPath Path, SiteInfo Site) : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys() => [];
}

public sealed record NotFoundData(ArtifactPath Path, SiteInfo Site) : ArtifactData(Path, Site)
{
    public override IReadOnlyList<string> DependencyKeys() => [Artifacts.DependencyKeys.Config];
}

internal static class Keys
{
    public static string[] Sorted(IEnumerable<string> keys)
    {
        var array = keys.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(array, StringComparer.Ordinal);
        return array;
    }
}
