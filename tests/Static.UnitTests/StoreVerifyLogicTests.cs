using Static.Publisher.Cli;
using Static.Publisher.Operations;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Artifacts;
using Static.Shared.Configuration;
using Static.Shared.Manifests;

namespace Static.UnitTests;

/// <summary><c>publisher verify</c>'s logic without a store: what the live version names, how a HEAD is judged, the sample.</summary>
public sealed class StoreVerifyLogicTests
{
    private static readonly CacheControlSection CacheControl = new();

    [Fact]
    public void The_live_objects_are_the_root_every_shard_every_stable_path_and_one_immutable_copy_per_bytes()
    {
        var (root, rows) = Live();
        var live = LiveObjects.From(root, rows, CacheControl);

        Assert.Equal(
            new[] { ObjectKeys.ManifestRoot, ObjectKeys.Shard("products-0", root.Shards["products-0"]), ObjectKeys.Shard("site", root.Shards["site"]),
                "index.html", "products/1.html", "products/2.html", ObjectKeys.Immutable("aa", ".html"), ObjectKeys.Immutable("bb", ".html") }.Order(StringComparer.Ordinal),
            live.Objects.Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.Empty(live.Inconsistencies);
        // The rebuilt shard is byte for byte the one its name hashes.
        var shardKey = ObjectKeys.Shard("products-0", root.Shards["products-0"]);
        Assert.Equal(root.Shards["products-0"], ContentHash.Sha256(live.ManifestBytes[shardKey])[..ObjectKeys.ShardHashLength]);
        Assert.Equal(ManifestSharding.Serialize(root), live.ManifestBytes[ObjectKeys.ManifestRoot]);
    }

    [Fact]
    public void A_shard_the_rows_do_not_rebuild_is_named_and_checked_for_existence_only()
    {
        var (root, rows) = Live();
        var stale = root with { Shards = new SortedDictionary<string, string>(root.Shards, StringComparer.Ordinal) { ["site"] = "0123456789abcdef" } };
        var live = LiveObjects.From(stale, rows, CacheControl);
        var key = ObjectKeys.Shard("site", "0123456789abcdef");
        Assert.Equal([key], live.Inconsistencies);
        var shard = live.Objects.Single(o => o.Key == key);
        Assert.Null(shard.Sha256);
        Assert.Equal(ObjectState.Ok, LiveObjects.Classify(shard, Head(key, 10, sha: null)).State);
        Assert.Equal(ObjectState.Missing, LiveObjects.Classify(shard, null).State);
    }

    [Fact]
    public void A_head_is_ok_only_with_the_published_size_hash_and_headers()
    {
        var (root, rows) = Live();
        var page = LiveObjects.From(root, rows, CacheControl).Objects.Single(o => o.Key == "products/1.html");
        var headers = page.Headers!;

        Assert.Equal(ObjectState.Ok, LiveObjects.Classify(page, Head(page.Key, 100, "aa", headers)).State);
        // The directives in another order (s3rver's) are the same Cache-Control; a folder stores no headers.
        Assert.Equal(ObjectState.Ok, LiveObjects.Classify(page, Head(page.Key, 100, "aa", headers with { CacheControl = "s-maxage=86400, max-age=60, public" })).State);
        Assert.Equal(ObjectState.Ok, LiveObjects.Classify(page, Head(page.Key, 100, "aa", null)).State);

        Assert.Equal(ObjectState.Missing, LiveObjects.Classify(page, null).State);
        Assert.Contains("99 bytes", LiveObjects.Classify(page, Head(page.Key, 99, "aa", headers)).Reason, StringComparison.Ordinal);
        Assert.Contains("sha256", LiveObjects.Classify(page, Head(page.Key, 100, "cc", headers)).Reason, StringComparison.Ordinal);
        Assert.Contains("not written by the publisher", LiveObjects.Classify(page, Head(page.Key, 100, null, headers)).Reason, StringComparison.Ordinal);
        Assert.Contains("Content-Type", LiveObjects.Classify(page, Head(page.Key, 100, "aa", headers with { ContentType = "text/plain" })).Reason, StringComparison.Ordinal);
        Assert.Contains("Cache-Control", LiveObjects.Classify(page, Head(page.Key, 100, "aa", headers with { CacheControl = "no-store" })).Reason, StringComparison.Ordinal);
        Assert.Contains("cache tags", LiveObjects.Classify(page, Head(page.Key, 100, "aa", headers with { CacheTags = "path:/x" })).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stable_path_published_under_other_cache_control_settings_has_no_expected_headers()
    {
        var (root, rows) = Live();
        var changed = new CacheControlSection { Html = "public, max-age=5" };
        var page = LiveObjects.From(root, rows, changed).Objects.Single(o => o.Key == "products/1.html");
        Assert.Null(page.Headers);   // repair refuses it rather than writing headers the live version did not have
        Assert.NotNull(LiveObjects.From(root, rows, CacheControl).Objects.Single(o => o.Key == "products/1.html").Headers);
    }

    [Fact]
    public void A_sample_is_distinct_and_of_the_asked_size_or_everything()
    {
        var items = Enumerable.Range(0, 1000).ToList();
        var sample = LiveObjects.Sample(items, 200, new Random(7));
        Assert.Equal(200, sample.Count);
        Assert.Equal(200, sample.Distinct().Count());
        Assert.NotEqual(items.Take(200), sample);
        Assert.Equal(items, LiveObjects.Sample(items, 5000, new Random(7)));
        Assert.Empty(LiveObjects.Sample(items, 0, new Random(7)));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("257")]
    [InlineData("many")]
    public async Task A_bad_parallelism_exits_2_before_touching_a_server(string value)
    {
        var error = new StringWriter();
        var code = await PublisherCli.RunAsync(["verify", "--parallelism", value], TextWriter.Null, error, StackSettings.Load(_ => null, stackEnvPath: null));
        Assert.Equal(PublisherCli.ExitUsage, code);
        Assert.Contains("--parallelism", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("verifySample", "-1", "publish.verifySample")]
    [InlineData("verifyParallelism", "0", "publish.verifyParallelism")]
    public void A_bad_verify_setting_is_named(string field, string value, string name)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("static-verify-").FullName, "publish-config.json");
        File.WriteAllText(path, $$"""{ "publish": { "{{field}}": {{value}} } }""");
        var e = Assert.Throws<ConfigException>(() => PublishConfigLoader.Load(path, new System.Collections.Hashtable()));
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    private static ObjectHead Head(string key, long size, string? sha, ExpectedHeaders? headers = null)
    {
        var metadata = new Dictionary<string, string>();
        if (headers is not null)
        {
            metadata[SurrogateKeys.MetadataKey] = headers.CacheTags;
        }

        return new ObjectHead(key, size, headers?.ContentType, headers?.CacheControl, sha, metadata);
    }

    /// <summary>Three live paths in two shards; products/2.html has the same bytes as the homepage.</summary>
    private static (ManifestRoot Root, List<ArtifactRow> Rows) Live()
    {
        var rows = new List<ArtifactRow>
        {
            Row("/index.html", "bb", 120, "site", ["featured"]),
            Row("/products/1.html", "aa", 100, "products-0", ["product:1"]),
            Row("/products/2.html", "bb", 120, "products-0", ["product:2"]),
        };
        var shards = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in rows.GroupBy(r => r.Shard))
        {
            var shard = new ManifestShard(ObjectKeys.FormatVersion, group.Key, new SortedDictionary<string, string>(group.ToDictionary(r => r.Path, r => r.Sha256), StringComparer.Ordinal));
            shards[group.Key] = ManifestSharding.Serialize(shard).Hash;
        }

        return (new ManifestRoot(ObjectKeys.FormatVersion, 3, ObjectKeys.ShardUrlTemplate, ObjectKeys.ImmutableUrlTemplate, shards), rows);
    }

    private static ArtifactRow Row(string path, string sha, int size, string shard, string[] keys)
    {
        var artifact = ArtifactPath.TryParse(path)!;
        var tags = SurrogateKeys.Format(SurrogateKeys.For(artifact, keys));
        return new ArtifactRow(path, sha, ArtifactDiff.HeadersHash(artifact.ContentType, CacheControl.For(artifact.Class), tags), size, shard, keys);
    }
}
