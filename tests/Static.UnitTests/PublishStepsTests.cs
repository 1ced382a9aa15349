using System.Collections.Concurrent;
using System.Text;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Artifacts;
using Static.Shared.Configuration;
using Static.Shared.Manifests;

namespace Static.UnitTests;

/// <summary>The publish steps that need no server: diffing, manifest building and sharding, upload order.</summary>
public sealed class PublishStepsTests
{
    private static readonly LiveState Nothing = new(new Dictionary<string, LiveArtifact>(), new Dictionary<string, PublishedEntity>(), null, null, null, null);

    [Fact]
    public void The_diff_keeps_new_artifacts_and_those_whose_bytes_or_headers_differ_in_path_order()
    {
        var live = Live(Item(ArtifactPath.ProductJson(1), "one"), Item(ArtifactPath.ProductJson(2), "two"), Item(ArtifactPath.ProductJson(3), "three"));
        var rendered = new[]
        {
            Item(ArtifactPath.ProductJson(4), "new"),
            Item(ArtifactPath.ProductJson(3), "three", headers: "other-headers"),
            Item(ArtifactPath.ProductJson(2), "two, renamed"),
            Item(ArtifactPath.ProductJson(1), "one"),
        };

        var changed = ArtifactDiff.Changed(rendered, live);

        Assert.Equal(["/products/2.json", "/products/3.json", "/products/4.json"], changed.Select(c => c.Path));
    }

    [Fact]
    public void Invalidations_are_the_changed_and_removed_paths_and_slash_with_the_home_page()
    {
        Assert.Equal(["/", "/index.html", "/products/1.json", "/products/9.html"],
            ArtifactDiff.Invalidations([Item(ArtifactPath.ProductJson(1), "a"), Item(ArtifactPath.HomeHtml, "h")], ["/products/9.html"]));
        Assert.Equal(["/products/1.json"], ArtifactDiff.Invalidations([Item(ArtifactPath.ProductJson(1), "a")], []));
    }

    [Fact]
    public void A_first_manifest_writes_every_shard_and_a_root_naming_them()
    {
        var rendered = new[] { Item(ArtifactPath.ProductJson(1), "a"), Item(ArtifactPath.ProductJson(300), "b"), Item(ArtifactPath.HomeHtml, "h") };

        var plan = ManifestBuilder.Build(Nothing, rendered, rendered, [], 7);

        Assert.True(plan.Changed);
        var root = ManifestSharding.DeserializeRoot(plan.RootBytes);
        Assert.Equal(7, root.Version);
        Assert.Equal(["products-0", "products-1", "site"], root.Shards.Keys);
        Assert.Equal(root.Shards.Select(s => ObjectKeys.Shard(s.Key, s.Value)).Order(StringComparer.Ordinal), plan.Shards.Select(s => s.Key).Order(StringComparer.Ordinal));
        Assert.Equal(ContentHash.Sha256(plan.RootBytes), plan.RootSha256);
    }

    [Fact]
    public void A_later_manifest_rewrites_only_the_touched_shards_and_drops_emptied_ones()
    {
        var first = new[] { Item(ArtifactPath.ProductJson(1), "a"), Item(ArtifactPath.ProductJson(300), "b"), Item(ArtifactPath.HomeHtml, "h") };
        var firstPlan = ManifestBuilder.Build(Nothing, first, first, [], 7);
        var live = Live(first) with { Version = 7, Root = ManifestSharding.DeserializeRoot(firstPlan.RootBytes) };

        // Product 1 changes; product 300 (alone in its shard) is removed; the home page is rendered again, the same.
        var rendered = new[] { Item(ArtifactPath.ProductJson(1), "a, changed"), Item(ArtifactPath.HomeHtml, "h") };
        var plan = ManifestBuilder.Build(live, rendered, [rendered[0]], ["/products/300.json"], 8);

        var root = ManifestSharding.DeserializeRoot(plan.RootBytes);
        Assert.True(plan.Changed);
        Assert.Equal(8, root.Version);
        Assert.Equal(["products-0", "site"], root.Shards.Keys);
        Assert.Equal(live.Root!.Shards["site"], root.Shards["site"]);
        Assert.NotEqual(live.Root!.Shards["products-0"], root.Shards["products-0"]);
        Assert.Equal([ObjectKeys.Shard("products-0", root.Shards["products-0"])], plan.Shards.Select(s => s.Key));
    }

    [Fact]
    public void Nothing_changed_keeps_the_live_version_and_writes_no_shard()
    {
        var first = new[] { Item(ArtifactPath.ProductJson(1), "a"), Item(ArtifactPath.HomeHtml, "h") };
        var firstPlan = ManifestBuilder.Build(Nothing, first, first, [], 7);
        var live = Live(first) with { Version = 7, Root = ManifestSharding.DeserializeRoot(firstPlan.RootBytes) };

        var plan = ManifestBuilder.Build(live, first, [], [], 8);

        Assert.False(plan.Changed);
        Assert.Empty(plan.Shards);
        Assert.Equal(firstPlan.RootBytes, plan.RootBytes);
    }

    [Fact]
    public async Task Uploads_go_immutable_copies_then_stable_paths_then_deletes_then_shards_then_the_root()
    {
        var live = Live(Item(ArtifactPath.ProductJson(5), "already live bytes"), Item(ArtifactPath.ProductJson(9), "removed"));
        var changed = Enumerable.Range(1, 20).Select(i => Item(ArtifactPath.ProductJson(i), "bytes " + i))
            .Append(Item(ArtifactPath.ProductHtml(5), "already live bytes")).ToList();
        var manifest = ManifestBuilder.Build(live, changed, changed, ["/products/9.json"], 2);
        var store = new RecordingStore();
        var written = new ConcurrentBag<string>();

        var bytes = await new UploadSequence(store, new PublishConfig()).UploadAsync(live, changed, ["/products/9.json"], manifest, new HashSet<string>(), written, null, CancellationToken.None);

        var stages = store.Log.Select(Stage).ToList();
        Assert.Equal(stages.Order(), stages);   // never a later stage before an earlier one finished
        Assert.Equal(20, stages.Count(s => s == 0));   // the bytes some live path has are not copied again
        Assert.Equal(21, stages.Count(s => s == 1));
        Assert.Equal(["delete products/9.json"], store.Log.Where(e => Stage(e) == 2));
        Assert.Equal(manifest.Shards.Count, stages.Count(s => s == 3));
        Assert.Equal("put manifest.json", store.Log[^1]);
        Assert.Equal(store.Log.Count - 1, written.Count);
        Assert.Equal(store.Puts.Sum(p => (long)p.Body.Length), bytes);
        Assert.All(store.Puts.Where(p => p.Key.StartsWith(ObjectKeys.ImmutablePrefix, StringComparison.Ordinal)), p => Assert.True(p.ContentAddressed));
    }

    [Fact]
    public async Task The_immutable_writer_stores_each_new_copy_once_while_rendering_and_drops_bytes_it_no_longer_needs()
    {
        var unchanged = Item(ArtifactPath.ProductJson(1), "live and unchanged");
        var live = Live(unchanged, Item(ArtifactPath.ProductJson(2), "bytes another path has"));
        var store = new RecordingStore { Copies = true };
        var written = new ConcurrentBag<string>();
        var same = Item(ArtifactPath.ProductJson(1), "live and unchanged");
        var fresh = Enumerable.Range(10, 30).Select(i => Item(ArtifactPath.ProductJson(i), "new " + i)).ToList();
        var twin = Item(ArtifactPath.ProductJson(99), "new 10");   // the same bytes as /products/10.json
        var sharesLive = Item(ArtifactPath.ProductHtml(2), "bytes another path has");

        await using (var writer = new ImmutableWriter(store, new PublishConfig(), live, written, CancellationToken.None))
        {
            foreach (var item in fresh.Append(same).Append(twin).Append(sharesLive))
            {
                await writer.AcceptAsync(item, CancellationToken.None);
            }

            var bytes = await writer.CompleteAsync();
            Assert.Equal(fresh.Sum(f => (long)f.Size), bytes);
            Assert.Equal(fresh.Select(f => ObjectKeys.Immutable(f.Sha256, ".json")).Order(), writer.Stored.Order());
        }

        // One put per new SHA-256, all content-addressed, none for bytes a live path has.
        Assert.Equal(fresh.Select(f => "put " + ObjectKeys.Immutable(f.Sha256, ".json")).Order(), store.Log.Order());
        Assert.All(store.Puts, p => Assert.True(p.ContentAddressed));
        Assert.Equal(store.Log.Count, written.Count);
        // The store can copy: stored items and unchanged ones let go of their bytes; the others keep them for their stable path.
        Assert.All(fresh, f => Assert.Null(f.Body));
        Assert.Null(same.Body);
        Assert.NotNull(twin.Body);
        Assert.NotNull(sharesLive.Body);
    }

    [Fact]
    public async Task A_failed_immutable_write_stops_the_writer_and_is_the_error_reported()
    {
        var store = new RecordingStore { FailAfter = 3 };
        await using var writer = new ImmutableWriter(store, new PublishConfig(), Nothing, [], CancellationToken.None);
        var e = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            // More items than the queue holds: a writer that stopped must not leave the render waiting forever.
            foreach (var i in Enumerable.Range(1, 2_000))
            {
                await writer.AcceptAsync(Item(ArtifactPath.ProductJson(i), "bytes " + i), CancellationToken.None);
            }

            await writer.CompleteAsync();
        });
        if (e is OperationCanceledException)
        {
            e = Assert.Throws<IOException>(writer.ThrowIfFailed);
        }

        Assert.Contains("disk full", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_a_store_that_copies_a_stable_path_is_made_from_the_copy_this_run_stored_and_otherwise_from_its_bytes()
    {
        var live = Live(Item(ArtifactPath.ProductJson(5), "already live bytes"));
        var stored = Item(ArtifactPath.ProductJson(1), "stored early");
        var sharesLive = Item(ArtifactPath.ProductHtml(5), "already live bytes");
        stored.Body = null;   // the writer let go of it
        var changed = new List<RenderedItem> { stored, sharesLive };
        var manifest = ManifestBuilder.Build(live, changed, changed, [], 2);
        var store = new RecordingStore { Copies = true };

        var bytes = await new UploadSequence(store, new PublishConfig()).UploadAsync(live, changed, [], manifest, new HashSet<string> { ObjectKeys.Immutable(stored.Sha256, ".json") }, [], null, CancellationToken.None);

        var copy = Assert.Single(store.Puts, p => p.Key == "products/1.json");
        Assert.Equal(ObjectKeys.Immutable(stored.Sha256, ".json"), copy.CopyOf);
        Assert.True(copy.Body.IsEmpty);
        var put = Assert.Single(store.Puts, p => p.Key == "products/5.html");
        Assert.Null(put.CopyOf);
        Assert.Equal("already live bytes", Encoding.UTF8.GetString(put.Body.Span));
        Assert.DoesNotContain(store.Puts, p => p.Key.StartsWith(ObjectKeys.ImmutablePrefix, StringComparison.Ordinal));   // both copies are in the store already
        Assert.Equal(store.Puts.Sum(p => p.Size), bytes);
        Assert.Equal(stored.Size, copy.Size);
    }

    [Fact]
    public async Task Repairing_the_root_writes_it_only_when_the_store_has_another()
    {
        var first = new[] { Item(ArtifactPath.HomeHtml, "h") };
        var live = Live(first) with { Version = 3, Root = ManifestSharding.DeserializeRoot(ManifestBuilder.Build(Nothing, first, first, [], 3).RootBytes) };
        var store = new RecordingStore();
        var steps = new UploadSequence(store, new PublishConfig());

        Assert.True(await steps.RepairRootAsync(live, [], CancellationToken.None));   // the store had none
        Assert.False(await steps.RepairRootAsync(live, [], CancellationToken.None));  // now it has the live one
        Assert.Equal(["put manifest.json"], store.Log);
    }

    private static int Stage(string entry) => entry switch
    {
        _ when entry.StartsWith("put " + ObjectKeys.ImmutablePrefix, StringComparison.Ordinal) => 0,
        _ when entry.StartsWith("delete ", StringComparison.Ordinal) => 2,
        _ when entry.StartsWith("put " + ObjectKeys.ShardPrefix, StringComparison.Ordinal) => 3,
        "put " + ObjectKeys.ManifestRoot => 4,
        _ => 1,
    };

    private static RenderedItem Item(ArtifactPath path, string text, string headers = "headers")
    {
        var body = Encoding.UTF8.GetBytes(text);
        return new RenderedItem(path, body, ContentHash.Sha256(body), headers, "public, max-age=60", ManifestSharding.ShardOf(path, 256, 512), []);
    }

    private static LiveState Live(params RenderedItem[] items) => Nothing with
    {
        Artifacts = items.ToDictionary(i => i.Path, i => new LiveArtifact(i.Path, i.Sha256, i.HeadersHash, i.Shard, i.Size), StringComparer.Ordinal),
    };

    /// <summary>An in-memory store that records the order of writes and deletes (used only to check ordering).</summary>
    private sealed class RecordingStore : IObjectStore
    {
        private readonly ConcurrentDictionary<string, ObjectToPut> objects = new(StringComparer.Ordinal);
        private readonly Lock gate = new();

        public List<string> Log { get; } = [];

        public List<ObjectToPut> Puts { get; } = [];

        public string Description => "recording store";

        /// <summary>Says it makes objects from other objects (as the folder store and S3 do).</summary>
        public bool Copies { get; init; }

        /// <summary>Puts after this many fail as a full disk would.</summary>
        public int FailAfter { get; init; } = int.MaxValue;

        public bool CopiesObjects => Copies;

        public Task EnsureReadyAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task PutAsync(ObjectToPut item, CancellationToken cancellationToken)
        {
            await Task.Yield();   // writes within a stage overlap, as they do against S3
            lock (gate)
            {
                if (Puts.Count >= FailAfter)
                {
                    throw new IOException("disk full");
                }

                Log.Add("put " + item.Key);
                Puts.Add(item);
            }

            objects[item.Key] = item;
        }

        public Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken) =>
            Task.FromResult(objects.TryGetValue(key, out var o)
                ? new StoredObject(key, o.Body.ToArray(), o.ContentType, o.CacheControl, o.Metadata)
                : null);

        public async Task DeleteAsync(string key, CancellationToken cancellationToken)
        {
            await Task.Yield();
            lock (gate)
            {
                Log.Add("delete " + key);
            }

            objects.TryRemove(key, out _);
        }

        public IAsyncEnumerable<ListedObject> ListAsync(string prefix, CancellationToken cancellationToken) => throw new NotSupportedException("publishing never lists");
    }
}
