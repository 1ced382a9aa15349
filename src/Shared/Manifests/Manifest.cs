using System.Globalization;
using System.Text.Json;
using Static.Shared.Artifacts;

namespace Static.Shared.Manifests;

/// <summary>Which shard a stable path's manifest entry lives in.</summary>
public static class ManifestSharding
{
    public const string SiteShard = "site";

    /// <summary>The asset pipeline's files (the browser module, the Service Worker; later styles and images).</summary>
    public const string AssetsShard = "assets";

    /// <summary>robots.txt and the sitemaps: a shard of their own, so page clients never refetch it.</summary>
    public const string CrawlerShard = "crawlers";

    /// <summary>
    /// Products by id range, categories by id range, the site-wide pages together: a one-product change
    /// touches its products shard, its category's shard and (when featured) the site shard, nothing else.
    /// </summary>
    public static string ShardOf(ArtifactPath path, int productsPerShard, int categoriesPerShard)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.Kind switch
        {
            ArtifactKind.ProductHtml or ArtifactKind.ProductJson => string.Create(CultureInfo.InvariantCulture, $"products-{path.Id / productsPerShard}"),
            ArtifactKind.CategoryHtml or ArtifactKind.CategoryJson => string.Create(CultureInfo.InvariantCulture, $"categories-{path.Id / categoriesPerShard}"),
            ArtifactKind.Asset => AssetsShard,
            ArtifactKind.RobotsTxt or ArtifactKind.SitemapIndex or ArtifactKind.Sitemap => CrawlerShard,
            _ => SiteShard,
        };
    }

    /// <summary>Serialises a shard deterministically (sorted entries) and names it by its hash.</summary>
    public static (byte[] Bytes, string Hash) Serialize(ManifestShard shard)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(shard, ManifestJsonContext.Default.ManifestShard);
        return (bytes, ContentHash.Sha256(bytes)[..ObjectKeys.ShardHashLength]);
    }

    public static byte[] Serialize(ManifestRoot root) => JsonSerializer.SerializeToUtf8Bytes(root, ManifestJsonContext.Default.ManifestRoot);

    public static ManifestRoot DeserializeRoot(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, ManifestJsonContext.Default.ManifestRoot) ?? throw new JsonException("manifest root is null");

    public static ManifestShard DeserializeShard(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, ManifestJsonContext.Default.ManifestShard) ?? throw new JsonException("manifest shard is null");
}
