using System.Collections;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Static.Publisher.Publishing;
using Static.Shared.Artifacts;
using Static.Shared.Manifests;

namespace Static.Micro;

/// <summary>
/// The manifest diffs at 100,000 entries (50,000 products' page and JSON) of which 1% changed bytes: the publisher's
/// (<c>ArtifactDiff.Changed</c>: rendered artifacts against the live rows, by path, then sorted) and the client's
/// (<c>ManifestLogic.ChangedPaths</c>: each held shard against its new version, as the client walks a new root).
/// Both are internal and called through <see cref="Internals"/>. Hashes that compare equal are distinct string
/// instances, as they are in a run (one read from PostgreSQL or a shard, one just computed).
/// </summary>
[MemoryDiagnoser]
public class DiffBenchmarks
{
    public const int Entries = 100_000;

    /// <summary>One entry in this many changed bytes: 1%.</summary>
    public const int ChangedEvery = 100;

    private Fixture data = null!;

    /// <summary>
    /// Built for each benchmark (a second or two: 300,000 hashes and 392 shards through JSON) and dropped after it, so
    /// that the benchmarks run after these in the same process do not carry its heap through every forced collection.
    /// </summary>
    [GlobalSetup]
    public void Setup()
    {
        data = Fixture.Build();

        // The figures only mean something if both find exactly the changed 1%.
        if (PublisherDiff() != Entries / ChangedEvery || ClientDiff() != Entries / ChangedEvery)
        {
            throw new InvalidOperationException($"expected {Entries / ChangedEvery} changed entries, got {PublisherDiff()} (publisher) and {ClientDiff()} (client)");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => data = null!;

    [Benchmark(Description = "manifest diff, publisher (100,000 artifacts, 1% changed)")]
    public int PublisherDiff() => ((ICollection)Internals.ArtifactDiffChanged(null, data.Rendered, data.Live)).Count;

    [Benchmark(Description = "manifest diff, client (100,000 entries in 196 shards, 1% changed)")]
    public int ClientDiff()
    {
        var count = 0;
        foreach (var (before, after) in data.Shards)
        {
            foreach (var path in Internals.ManifestLogicChangedPaths(null, before, after))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The rendered set (a <c>List&lt;RenderedItem&gt;</c>), the live rows, and each shard before and after.</summary>
    private sealed record Fixture(object Rendered, LiveState Live, (ManifestShard Before, ManifestShard After)[] Shards)
    {
        public static Fixture Build()
        {
            var config = DemoShop.Config.Publish;
            var items = new List<object>(Entries);
            var artifacts = new Dictionary<string, LiveArtifact>(Entries, StringComparer.Ordinal);
            var before = new Dictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
            var after = new Dictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
            const string headersHash = "0123456789abcdef";
            for (var i = 0; i < Entries; i++)
            {
                var id = i / 2 + 1;
                var path = i % 2 == 0 ? ArtifactPath.ProductHtml(id) : ArtifactPath.ProductJson(id);
                var shard = ManifestSharding.ShardOf(path, config.ProductsPerShard, config.CategoriesPerShard);
                var changed = i % ChangedEvery == 0;
                var newSha = Sha(path.Path, changed ? 1 : 0);
                artifacts[path.Path] = new LiveArtifact(path.Path, Sha(path.Path, 0), new string(headersHash), shard, 2_048);
                items.Add(Internals.NewRenderedItem(path, [], newSha, new string(headersHash), config.CacheControl.Json, shard, []));
                Shard(before, shard)[path.Path] = Sha(path.Path, 0);
                Shard(after, shard)[path.Path] = newSha;
            }

            return new Fixture(
                Internals.RenderedItems(items),
                new LiveState(artifacts, new Dictionary<string, PublishedEntity>(), 1, null, null, null),
                [.. before.Select(b => (AsClientHoldsIt(b.Key, b.Value), AsClientHoldsIt(b.Key, after[b.Key])))]);
        }
    }

    private static SortedDictionary<string, string> Shard(Dictionary<string, SortedDictionary<string, string>> shards, string name)
    {
        if (!shards.TryGetValue(name, out var entries))
        {
            shards[name] = entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        }

        return entries;
    }

    /// <summary>
    /// A shard as the client holds it: through its JSON and back with the contract's serializer (which gives
    /// <see cref="ManifestShard.Entries"/> the comparer it has after a real fetch, and strings of their own).
    /// </summary>
    private static ManifestShard AsClientHoldsIt(string name, SortedDictionary<string, string> entries)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new ManifestShard(ObjectKeys.FormatVersion, name, entries), ManifestJsonContext.Default.ManifestShard);
        return JsonSerializer.Deserialize(json, ManifestJsonContext.Default.ManifestShard)!;
    }

    /// <summary>A 64-hex-digit hash of a path and a version: a new string every call.</summary>
    private static string Sha(string path, int version) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{path}#{version}"))));
}
