using System.Text.Json.Serialization;

namespace Static.Client;

// The JSON artifacts as the publisher writes them (src/Templates/Json/ArtifactDocuments.cs, docs/artifacts.md),
// mirrored here so the client needs no server package. Unknown fields are ignored (the contract lets the
// server add optional fields without a new format), and a field the server drops reads as null or 0.

/// <summary>A product as it appears in a listing or among the homepage's featured products.</summary>
/// <param name="Id">The product id.</param>
/// <param name="Slug">The product's URL slug.</param>
/// <param name="Name">The display name.</param>
/// <param name="Price">The price, in <paramref name="Currency"/>.</param>
/// <param name="Currency">ISO 4217 currency code.</param>
/// <param name="Url">The stable path of the product's JSON (<c>/products/{id}.json</c>).</param>
/// <param name="Image">The first image's published variants, if it has one.</param>
/// <param name="PriceText">The price as the site writes it (its locale), e.g. <c>€12.50</c>; null from a server that predates it.</param>
public sealed record ProductSummary(long Id, string Slug, string Name, decimal Price, string Currency, string Url, ImageVariants? Image, string? PriceText = null);

/// <summary>A product image's published variants (docs/images.md); every URL is immutable.</summary>
/// <param name="Src">The JPEG fallback.</param>
/// <param name="Srcset">The JPEG <c>srcset</c>.</param>
/// <param name="WebpSrcset">The WebP <c>srcset</c>.</param>
/// <param name="Width">The intrinsic width pages declare.</param>
/// <param name="Height">The intrinsic height pages declare.</param>
public sealed record ImageVariants(string Src, string Srcset, string WebpSrcset, int Width, int Height);

/// <summary>A reference to a category.</summary>
/// <param name="Id">The category id.</param>
/// <param name="Slug">The category's URL slug (what <see cref="StaticClient.GetCategoryAsync"/> takes).</param>
/// <param name="Name">The display name.</param>
/// <param name="Url">The stable path of the category's first listing page.</param>
public sealed record CategoryRef(long Id, string Slug, string Name, string Url);

/// <summary>The site-wide banner.</summary>
/// <param name="Text">The banner's text.</param>
/// <param name="Link">Where it links to, if anywhere.</param>
public sealed record Banner(string Text, string? Link);

/// <summary>One navigation entry of the site configuration.</summary>
/// <param name="Label">The link text.</param>
/// <param name="Href">The link target.</param>
public sealed record NavigationLink(string Label, string Href);

/// <summary><c>/products/{id}.json</c>: one product. Stock is never published (the Api serves <c>/stock</c>).</summary>
/// <param name="Id">The product id.</param>
/// <param name="Slug">The product's URL slug.</param>
/// <param name="Name">The display name.</param>
/// <param name="Description">The description.</param>
/// <param name="Price">The price, in <paramref name="Currency"/>.</param>
/// <param name="Currency">ISO 4217 currency code.</param>
/// <param name="Category">The category it belongs to.</param>
/// <param name="Images">The images' published variants, the main one first.</param>
/// <param name="FeaturedRank">Its place among the homepage's featured products, or null.</param>
/// <param name="UpdatedAt">When the catalog row last changed.</param>
/// <param name="RowVersion">The catalog row's version.</param>
public sealed record ProductDocument(
    long Id, string Slug, string Name, string Description, decimal Price, string Currency,
    CategoryRef Category, IReadOnlyList<ImageVariants> Images, int? FeaturedRank, DateTimeOffset UpdatedAt, long RowVersion)
{
    /// <summary>The price as the site writes it (its locale); null from a server that predates it.</summary>
    public string? PriceText { get; init; }
}

/// <summary><c>/home.json</c>: the homepage's data.</summary>
/// <param name="Site">The site's name.</param>
/// <param name="Banner">The banner, if one is set.</param>
/// <param name="Featured">The featured products, in order.</param>
/// <param name="Categories">Every category.</param>
public sealed record HomeDocument(string Site, Banner? Banner, IReadOnlyList<ProductSummary> Featured, IReadOnlyList<CategoryRef> Categories);

/// <summary><c>/categories/{slug}/1.json</c>: a category's first listing page (later pages are the Api's, unpublished).</summary>
/// <param name="Category">The category.</param>
/// <param name="Page">The page number (1 for every published page).</param>
/// <param name="Products">The products on this page.</param>
/// <param name="Next">The path of the next page (served by the Api), or null.</param>
public sealed record CategoryPageDocument(CategoryRef Category, int Page, IReadOnlyList<ProductSummary> Products, string? Next);

/// <summary>The shop's site configuration inside <see cref="ConfigDocument"/>.</summary>
/// <param name="Banner">The banner, if one is set.</param>
/// <param name="Navigation">The navigation links.</param>
/// <param name="FeatureFlags">Feature flags by name.</param>
/// <param name="Currency">The shop's currency.</param>
public sealed record SiteConfig(Banner? Banner, IReadOnlyList<NavigationLink> Navigation, IReadOnlyDictionary<string, bool> FeatureFlags, string Currency);

/// <summary><c>/config.json</c>: the site configuration.</summary>
/// <param name="Site">The site's name.</param>
/// <param name="Config">The configuration.</param>
public sealed record ConfigDocument(string Site, SiteConfig Config);

/// <summary>Source-generated (no reflection), camelCase like the publisher, unknown members skipped.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ProductDocument))]
[JsonSerializable(typeof(HomeDocument))]
[JsonSerializable(typeof(CategoryPageDocument))]
[JsonSerializable(typeof(ConfigDocument))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
