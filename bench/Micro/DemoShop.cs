using System.Collections;
using Static.Publisher.Seeding;
using Static.Shared.Artifacts;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Templates;

namespace Static.Micro;

/// <summary>
/// What the benchmarks render and cache: product 42 and its category's listing page 1 in the demo shop <c>./run.sh</c> publishes (the repository's
/// publish-config.json and <c>publisher seed</c>'s deterministic catalog), built once per process and shared by
/// every benchmark (BenchmarkDotNet runs them in this process: see <see cref="MicroProgram"/>).
/// </summary>
internal static class DemoShop
{
    /// <summary>The product the other benchmarks use too (bench/api.sh and bench/edgehit.sh serve /products/42.json).</summary>
    public const long ProductId = 42;

    private static readonly Lazy<Shop> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<Task<ArtifactRenderer>> Compiled = new(ArtifactRenderer.CreateAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>publish-config.json as the publisher reads it, without <c>STATIC_CONFIG__</c> overrides (a fixed setting).</summary>
    public static PublishConfig Config => Loaded.Value.Config;

    public static SiteInfo Site => Loaded.Value.Site;

    public static Product Product => Loaded.Value.Product;

    public static Category Category => Loaded.Value.Category;

    /// <summary>Page 1 of <see cref="Category"/>'s listing: its first <c>catalog.listingPageSize</c> products by id, as the publisher reads it.</summary>
    public static IReadOnlyList<Product> Listing => Loaded.Value.Listing;

    public static bool ListingHasMore => Loaded.Value.ListingHasMore;

    /// <summary>The renderer with every template compiled (about a second and a half, once per process).</summary>
    public static Task<ArtifactRenderer> RendererAsync() => Compiled.Value;

    private static Shop Load()
    {
        var config = PublishConfigLoader.Load(FindConfig(), new Hashtable());
        // The whole demo catalog, not just the first products: which products are featured depends on its size.
        var catalog = DemoCatalogGenerator.Generate(new DemoCatalogRequest(config.Seed.Products, config.Seed.Categories, config.Seed.RandomSeed, config.Site.Currency));
        var product = catalog.Products.Single(p => p.Id == ProductId);
        var category = catalog.Categories.Single(c => c.Id == product.CategoryId);
        var listed = catalog.Products.Where(p => p.CategoryId == category.Id).OrderBy(p => p.Id).ToList();
        var pageSize = config.Catalog.ListingPageSize;
        return new Shop(config, SiteInfo.From(config, catalog.SiteConfig), product, category, [.. listed.Take(pageSize)], listed.Count > pageSize);
    }

    /// <summary>The repository's publish-config.json: from the working folder or the build output upwards.</summary>
    private static string FindConfig()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, PublishConfigLoader.FileName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException($"{PublishConfigLoader.FileName} not found above {Directory.GetCurrentDirectory()} or {AppContext.BaseDirectory}.");
    }

    private sealed record Shop(PublishConfig Config, SiteInfo Site, Product Product, Category Category, IReadOnlyList<Product> Listing, bool ListingHasMore);
}
