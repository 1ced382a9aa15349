using System.Text.Json.Serialization;
using Static.Shared.Catalog;

namespace Static.Templates.Json;

// The JSON artifacts' wire format (docs/artifacts.md). Stock is never here: the Api serves it.

/// <remarks><c>priceText</c> is the price as the site writes it (<c>site.locale</c>), so clients show what the page shows.</remarks>
public sealed record ProductSummaryDocument(long Id, string Slug, string Name, decimal Price, string Currency, string PriceText, string Url, ImageDocument? Image);

/// <summary>
/// A product image's published variants: <c>src</c> (the JPEG fallback), the JPEG and WebP <c>srcset</c>s and the
/// intrinsic width and height (docs/images.md). Every URL is immutable.
/// </summary>
public sealed record ImageDocument(string Src, string Srcset, string WebpSrcset, int Width, int Height);

public sealed record CategoryRefDocument(long Id, string Slug, string Name, string Url);

public sealed record ProductDocument(
    long Id, string Slug, string Name, string Description, decimal Price, string Currency, string PriceText,
    CategoryRefDocument Category, IReadOnlyList<ImageDocument> Images, int? FeaturedRank, DateTimeOffset UpdatedAt, long RowVersion);

public sealed record HomeDocument(string Site, Banner? Banner, IReadOnlyList<ProductSummaryDocument> Featured, IReadOnlyList<CategoryRefDocument> Categories);

public sealed record CategoryPageDocument(CategoryRefDocument Category, int Page, IReadOnlyList<ProductSummaryDocument> Products, string? Next);

public sealed record ConfigDocument(string Site, SiteConfig Config);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = false)]
[JsonSerializable(typeof(ProductDocument))]
[JsonSerializable(typeof(HomeDocument))]
[JsonSerializable(typeof(CategoryPageDocument))]
[JsonSerializable(typeof(ConfigDocument))]
internal sealed partial class ArtifactJsonContext : JsonSerializerContext;
