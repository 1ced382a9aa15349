namespace Static.Shared.Catalog;

/// <summary>A category; <see cref="ParentId"/> is null for a top-level one.</summary>
public sealed record Category(long Id, string Slug, string Name, long? ParentId, int SortOrder, DateTimeOffset UpdatedAt, long RowVersion);

/// <summary>A price in a currency (ISO 4217 code); amounts have two decimals.</summary>
public readonly record struct Money(decimal Amount, string Currency);

/// <summary>A product as published. Stock is deliberately not here: see <see cref="StockLevel"/>.</summary>
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
    long RowVersion);

/// <summary>Units in stock; changes by the second and never forces a republish.</summary>
public sealed record StockLevel(long ProductId, int Quantity, DateTimeOffset UpdatedAt);

/// <summary>The site config document as stored (JSON text) with its version.</summary>
public sealed record SiteConfigRecord(string DocumentJson, long Version, DateTimeOffset UpdatedAt);

/// <summary>Row counts of the catalog tables.</summary>
public sealed record CatalogCounts(long Categories, long Products, long StockLevels, bool HasSiteConfig)
{
    public bool IsEmpty => Categories == 0 && Products == 0 && StockLevels == 0 && !HasSiteConfig;
}
