using System.Text.Json;
using System.Text.Json.Serialization;

namespace Static.Shared.Catalog;

/// <summary>The shared site config: one versioned JSON document (stored in <c>site_config.document</c>).</summary>
public sealed record SiteConfig(
    Banner? Banner,
    IReadOnlyList<NavigationLink> Navigation,
    IReadOnlyDictionary<string, bool> FeatureFlags,
    string Currency);

public sealed record Banner(string Text, string? Link);

public sealed record NavigationLink(string Label, string Href);

/// <summary>A whole catalog in memory: what <c>publisher seed</c> writes in one transaction.</summary>
public sealed record CatalogSnapshot(
    IReadOnlyList<Category> Categories,
    IReadOnlyList<Product> Products,
    IReadOnlyList<StockLevel> Stock,
    SiteConfig SiteConfig)
{
    /// <summary>Image sources the products' <see cref="Product.Images"/> name (each once).</summary>
    public IReadOnlyList<ImageSource> ImageSources { get; init; } = [];
}

/// <summary>Source-generated JSON for the catalog's stored documents (wire format explicit, no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(SiteConfig))]
public sealed partial class CatalogJsonContext : JsonSerializerContext
{
    public static string Serialize(SiteConfig config) => JsonSerializer.Serialize(config, Default.SiteConfig);

    public static SiteConfig DeserializeSiteConfig(string json) =>
        JsonSerializer.Deserialize(json, Default.SiteConfig) ?? throw new JsonException("site config document is null");
}
