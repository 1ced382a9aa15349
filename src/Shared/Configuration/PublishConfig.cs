using System.ComponentModel.DataAnnotations;

namespace Static.Shared.Configuration;

/// <summary>
/// publish-config.json: what is published, where, and how. Bound with unknown keys rejected and validated
/// at start-up by <see cref="PublishConfigLoader"/>; each section is documented in README.md.
/// </summary>
public sealed class PublishConfig
{
    [Required]
    public SiteSection Site { get; set; } = new();

    [Required]
    public CatalogSection Catalog { get; set; } = new();

    [Required]
    public SeedSection Seed { get; set; } = new();

    [Required]
    public StoreSection Store { get; set; } = new();
}

public sealed class SiteSection
{
    /// <summary>Shown in page titles and the homepage header.</summary>
    [Required, StringLength(100, MinimumLength = 1)]
    public string Name { get; set; } = "Static Demo Shop";

    /// <summary>ISO 4217 code the demo catalog prices in.</summary>
    [Required, RegularExpression("^[A-Z]{3}$", ErrorMessage = "must be a three-letter ISO 4217 code such as EUR")]
    public string Currency { get; set; } = "EUR";
}

public sealed class CatalogSection
{
    /// <summary>Items on a category listing page (page 1 is published; later pages come from the Api).</summary>
    [Range(1, 500)]
    public int ListingPageSize { get; set; } = 40;

    /// <summary>How many featured products the homepage shows.</summary>
    [Range(1, 200)]
    public int FeaturedCount { get; set; } = 12;
}

public sealed class SeedSection
{
    /// <summary>Products <c>./run.sh</c> seeds into an empty catalog.</summary>
    [Range(1, 1_000_000)]
    public int Products { get; set; } = 10_000;

    [Range(1, 10_000)]
    public int Categories { get; set; } = 24;

    /// <summary>Random seed: the same seed and counts always give the same rows.</summary>
    public int RandomSeed { get; set; } = 42;
}

public enum StoreKind
{
    S3,
    Folder,
}

public sealed class StoreSection
{
    /// <summary><c>s3</c> (any S3-compatible endpoint; s3rver locally) or <c>folder</c> (no server).</summary>
    public StoreKind Kind { get; set; } = StoreKind.S3;

    /// <summary>Bucket for <c>s3</c>; the environment's STATIC_S3_BUCKET wins when set.</summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", ErrorMessage = "must be a valid S3 bucket name")]
    public string Bucket { get; set; } = "static-site";

    /// <summary>Folder for <c>folder</c>, relative to the config file.</summary>
    [Required]
    public string Folder { get; set; } = ".local/site";
}
