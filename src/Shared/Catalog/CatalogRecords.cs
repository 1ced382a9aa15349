namespace Static.Shared.Catalog;

/// <summary>A category; <see cref="ParentId"/> is null for a top-level one.</summary>
public sealed record Category(long Id, string Slug, string Name, long? ParentId, int SortOrder, DateTimeOffset UpdatedAt, long RowVersion);

/// <summary>A price in a currency (ISO 4217 code); amounts have two decimals.</summary>
public readonly record struct Money(decimal Amount, string Currency);

/// <summary>
/// A product as published. Stock is deliberately not here: see <see cref="StockLevel"/>. <see cref="Images"/> are the
/// uploaded images (<c>product_images</c>, in order) that pages render through the image pipeline;
/// <see cref="ImageUrls"/> are the admin API's free-form references (absolute URLs or site paths), stored and
/// returned as given but never rendered: nothing fetches or serves them (docs/images.md).
/// </summary>
public sealed record Product(
    long Id,
    string Slug,
    string Name,
    string Description,
    Money Price,
    long CategoryId,
    IReadOnlyList<string> ImageUrls,
    int? FeaturedRank,
    DateTimeOffset UpdatedAt,
    long RowVersion)
{
    public IReadOnlyList<ProductImage> Images { get; init; } = [];
}

/// <summary>One of a product's images: its source (<c>image_sources</c>, by SHA-256 of the uploaded bytes) and the source's size in pixels.</summary>
public sealed record ProductImage(string Sha256, int Width, int Height);

/// <summary>An image source as stored: the uploaded (or seeded) bytes, content-addressed.</summary>
public sealed record ImageSource(string Sha256, string ContentType, int Width, int Height, byte[] Bytes);

/// <summary>Which source is a product's image at a position (0-based).</summary>
public sealed record ProductImageLink(long ProductId, int Position, string Sha256);

/// <summary>Units in stock; changes by the second and never forces a republish.</summary>
public sealed record StockLevel(long ProductId, int Quantity, DateTimeOffset UpdatedAt);

/// <summary>The site config document as stored (JSON text) with its version.</summary>
public sealed record SiteConfigRecord(string DocumentJson, long Version, DateTimeOffset UpdatedAt);

/// <summary>Row counts of the catalog tables.</summary>
public sealed record CatalogCounts(long Categories, long Products, long StockLevels, bool HasSiteConfig)
{
    public bool IsEmpty => Categories == 0 && Products == 0 && StockLevels == 0 && !HasSiteConfig;
}
