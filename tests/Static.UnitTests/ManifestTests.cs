using Static.Shared.Artifacts;
using Static.Shared.Manifests;

namespace Static.UnitTests;

public sealed class ManifestTests
{
    [Fact]
    public void The_root_stays_under_16_KiB_with_100000_products()
    {
        const int productsPerShard = 256;
        var shards = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (long id = 1; id <= 100_000; id++)
        {
            shards[ManifestSharding.ShardOf(ArtifactPath.ProductHtml(id), productsPerShard, 512)] = "0123456789abcdef";
        }

        for (long id = 1; id <= 1000; id++)
        {
            shards[ManifestSharding.ShardOf(ArtifactPath.CategoryHtml(id, "c" + id), productsPerShard, 512)] = "0123456789abcdef";
        }

        shards[ManifestSharding.SiteShard] = "0123456789abcdef";
        var root = new ManifestRoot(ObjectKeys.FormatVersion, 123456, ObjectKeys.ShardUrlTemplate, ObjectKeys.ImmutableUrlTemplate, shards);
        var bytes = ManifestSharding.Serialize(root);
        Assert.True(bytes.Length < 16 * 1024, $"root is {bytes.Length} bytes");
        Assert.Equal(root.Shards, ManifestSharding.DeserializeRoot(bytes).Shards);
    }

    [Fact]
    public void A_product_its_category_and_the_site_pages_live_in_three_different_shards()
    {
        Assert.Equal("products-3", ManifestSharding.ShardOf(ArtifactPath.ProductJson(800), 256, 512));
        Assert.Equal("products-3", ManifestSharding.ShardOf(ArtifactPath.ProductHtml(800), 256, 512));
        Assert.Equal("categories-0", ManifestSharding.ShardOf(ArtifactPath.CategoryJson(7, "shoes"), 256, 512));
        Assert.Equal("site", ManifestSharding.ShardOf(ArtifactPath.HomeHtml, 256, 512));
        Assert.Equal("site", ManifestSharding.ShardOf(ArtifactPath.ConfigJson, 256, 512));
    }

    [Fact]
    public void Shards_serialise_deterministically_and_are_named_by_their_hash()
    {
        var a = new ManifestShard(1, "site", new SortedDictionary<string, string>(StringComparer.Ordinal) { ["/index.html"] = "aa", ["/config.json"] = "bb" });
        var b = new ManifestShard(1, "site", new SortedDictionary<string, string>(StringComparer.Ordinal) { ["/config.json"] = "bb", ["/index.html"] = "aa" });
        var (bytesA, hashA) = ManifestSharding.Serialize(a);
        var (bytesB, hashB) = ManifestSharding.Serialize(b);
        Assert.Equal(bytesA, bytesB);
        Assert.Equal(hashA, hashB);
        Assert.Equal(ContentHash.Sha256(bytesA)[..16], hashA);
        Assert.Equal($"_manifest/site.{hashA}.json", ObjectKeys.Shard("site", hashA));
    }

    [Fact]
    public void An_ordinary_root_has_no_restores_field_and_a_rollback_root_names_the_version_it_restores()
    {
        var shards = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["site"] = "0123456789abcdef" };
        var ordinary = new ManifestRoot(ObjectKeys.FormatVersion, 7, ObjectKeys.ShardUrlTemplate, ObjectKeys.ImmutableUrlTemplate, shards);
        var text = System.Text.Encoding.UTF8.GetString(ManifestSharding.Serialize(ordinary));
        Assert.DoesNotContain("restores", text, StringComparison.Ordinal);
        Assert.Equal("{\"format\":1,\"version\":7,\"shardUrl\":\"/_manifest/{shard}.{hash}.json\",\"immutableUrl\":\"/_immutable/{sha256}{ext}\",\"shards\":{\"site\":\"0123456789abcdef\"}}", text);

        var rollback = ordinary with { Version = 9, Restores = 7 };
        var bytes = ManifestSharding.Serialize(rollback);
        Assert.EndsWith(",\"restores\":7}", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        var read = ManifestSharding.DeserializeRoot(bytes);
        Assert.Equal(9, read.Version);
        Assert.Equal(7, read.Restores);
        Assert.Null(ManifestSharding.DeserializeRoot(ManifestSharding.Serialize(ordinary)).Restores);
    }
}
