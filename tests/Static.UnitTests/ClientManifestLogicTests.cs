using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Static.Client;
using Static.Shared.Manifests;

namespace Static.UnitTests;

/// <summary>
/// The .NET client's manifest logic on its own: which shards and entries a new root makes it fetch, what counts
/// as verified, what an unknown format does. The client tests at the end run it against an in-memory site (an
/// HttpMessageHandler) only to see the logic's requests; the real stack is tests/Static.IntegrationTests/ClientLibraryTests.
/// </summary>
public sealed class ClientManifestLogicTests
{
    private static ManifestShard Shard(string name, params (string Path, string Hash)[] entries) =>
        new(1, name, new SortedDictionary<string, string>(entries.ToDictionary(e => e.Path, e => e.Hash), StringComparer.Ordinal));

    private static ManifestRoot Root(long version, params (string Name, string Hash)[] shards) =>
        new(1, version, ObjectKeys.ShardUrlTemplate, ObjectKeys.ImmutableUrlTemplate,
            new SortedDictionary<string, string>(shards.ToDictionary(s => s.Name, s => s.Hash), StringComparer.Ordinal));

    [Fact]
    public void Only_held_shards_whose_hash_changed_are_fetched_and_held_shards_gone_from_the_root_are_removed()
    {
        var held = new Dictionary<string, HeldShard>(StringComparer.Ordinal)
        {
            ["site"] = new("1111111111111111", Shard("site")),
            ["products-0"] = new("2222222222222222", Shard("products-0")),
            ["products-1"] = new("3333333333333333", Shard("products-1")),
        };
        var next = Root(8, ("site", "1111111111111111"), ("products-0", "aaaaaaaaaaaaaaaa"), ("products-7", "bbbbbbbbbbbbbbbb"), ("assets", "cccccccccccccccc"));

        var plan = ManifestLogic.PlanShards(held, next);

        Assert.Equal(["products-0"], plan.Changed.Keys);
        Assert.Equal("aaaaaaaaaaaaaaaa", plan.Changed["products-0"]);
        Assert.Equal(["products-1"], plan.Removed);
        Assert.True(ManifestLogic.PlanShards(held, Root(9, ("site", "1111111111111111"), ("products-0", "2222222222222222"), ("products-1", "3333333333333333"))).IsEmpty);
    }

    [Fact]
    public void Changed_paths_are_the_added_changed_and_removed_entries_of_a_shard()
    {
        var before = Shard("products-0", ("/products/1.json", "a"), ("/products/2.json", "b"), ("/products/3.json", "c"));
        var after = Shard("products-0", ("/products/1.json", "a"), ("/products/2.json", "B"), ("/products/4.json", "d"));

        Assert.Equal(["/products/2.json", "/products/3.json", "/products/4.json"], ManifestLogic.ChangedPaths(before, after).Order(StringComparer.Ordinal));
        Assert.Empty(ManifestLogic.ChangedPaths(before, before));
        Assert.Equal(["/products/1.json", "/products/2.json", "/products/3.json"], ManifestLogic.ChangedPaths(before, null).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Only_held_entries_whose_hash_changed_are_refetched_and_entries_the_client_does_not_know_are_ignored()
    {
        var held = new Dictionary<string, string>(StringComparer.Ordinal) { ["/products/1.json"] = "a", ["/products/2.json"] = "b", ["/index.html"] = "h" };
        var next = Shard("products-0", ("/products/1.json", "a"), ("/products/2.json", "B"), ("/products/3.json", "C"), ("/_assets/app.0123.js", "d"), ("/sw.js", "e"));

        var fetch = ManifestLogic.EntriesToFetch(held, next);

        Assert.Equal([new KeyValuePair<string, string>("/products/2.json", "B")], fetch);
    }

    [Theory]
    [InlineData("""{"format":1,"version":3}""", 1)]
    [InlineData("""{"version":3,"shards":{"a":"b"},"format":99}""", 99)]
    [InlineData("""{"version":3}""", null)]
    [InlineData("""{"format":"1"}""", null)]
    [InlineData("""[1]""", null)]
    [InlineData("""{"format":""", null)]
    [InlineData("not json", null)]
    public void The_format_is_read_before_anything_else(string json, int? format) =>
        Assert.Equal(format, ManifestLogic.ReadFormat(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void A_root_with_fields_this_client_does_not_know_parses_and_a_root_of_another_format_does_not()
    {
        var known = """{"format":1,"version":5,"shardUrl":"/_manifest/{shard}.{hash}.json","immutableUrl":"/_immutable/{sha256}{ext}","shards":{"site":"0123456789abcdef"},"restores":3,"future":{"x":[1,2]}}""";
        var root = ManifestLogic.ParseRoot(Encoding.UTF8.GetBytes(known));
        Assert.NotNull(root);
        Assert.Equal(5, root.Version);
        Assert.Equal(3, root.Restores);

        Assert.Null(ManifestLogic.ParseRoot(Encoding.UTF8.GetBytes(known.Replace("\"format\":1", "\"format\":99", StringComparison.Ordinal))));
        Assert.Null(ManifestLogic.ParseRoot(Encoding.UTF8.GetBytes("""{"format":1,"version":5}""")));
    }

    [Fact]
    public void Bodies_verify_against_their_full_sha256_and_shards_against_the_16_digits_of_their_name()
    {
        var body = "{\"id\":1}"u8.ToArray();
        var sha = ContentHash.Sha256(body);
        Assert.True(ManifestLogic.Verify(body, sha));
        Assert.False(ManifestLogic.Verify("{\"id\":2}"u8, sha));
        Assert.False(ManifestLogic.Verify(body, sha[..16]));

        Assert.True(ManifestLogic.VerifyShard(body, sha[..16]));
        Assert.False(ManifestLogic.VerifyShard(body, sha[..15]));
        Assert.False(ManifestLogic.VerifyShard("x"u8, sha[..16]));
    }

    [Fact]
    public void Urls_come_from_the_roots_templates()
    {
        var root = Root(1, ("site", "0123456789abcdef"));
        Assert.Equal("/_manifest/site.0123456789abcdef.json", ManifestLogic.ShardUrl(root, "site", "0123456789abcdef"));
        Assert.Equal("/_immutable/abc.json", ManifestLogic.ImmutableUrl(root, "abc", "/products/1.json"));
        Assert.Equal("/_immutable/abc.html", ManifestLogic.ImmutableUrl(root, "abc", "/categories/shoes/1.html"));
        Assert.Equal("/_immutable/abc", ManifestLogic.ImmutableUrl(root, "abc", "/sw"));
    }

    [Fact]
    public void A_path_is_looked_up_in_its_own_shard_categories_in_each_categories_shard_and_anything_else_outside_products_and_categories()
    {
        var root = Root(1, ("site", "1"), ("products-0", "2"), ("products-3", "3"), ("categories-10", "4"), ("categories-2", "5"), ("assets", "6"));
        Assert.Equal(["site"], ManifestLogic.CandidateShards("/home.json", root, 256));
        Assert.Equal(["products-3"], ManifestLogic.CandidateShards("/products/800.json", root, 256));
        Assert.Empty(ManifestLogic.CandidateShards("/products/600.json", root, 256));
        Assert.Equal(["categories-2", "categories-10"], ManifestLogic.CandidateShards("/categories/shoes/1.json", root, 256));
        Assert.Equal(["assets", "site"], ManifestLogic.CandidateShards("/sw.js", root, 256));
    }

    [Fact]
    public void Options_problems_name_the_field()
    {
        var options = new StaticClientOptions { ApiBaseUrl = new Uri("ftp://x/"), RefreshInterval = TimeSpan.Zero, CacheDirectory = " ", ProductsPerShard = 0 };
        var problems = string.Join('\n', options.Problems());
        Assert.Contains("StaticClientOptions.CdnBaseUrl is required", problems, StringComparison.Ordinal);
        Assert.Contains("StaticClientOptions.ApiBaseUrl 'ftp://x/' must be an absolute http or https URL", problems, StringComparison.Ordinal);
        Assert.Contains("StaticClientOptions.RefreshInterval", problems, StringComparison.Ordinal);
        Assert.Contains("StaticClientOptions.CacheDirectory", problems, StringComparison.Ordinal);
        Assert.Contains("StaticClientOptions.ProductsPerShard", problems, StringComparison.Ordinal);

        using var provider = new ServiceCollection().AddStaticClient(o => o.ApiBaseUrl = new Uri("http://127.0.0.1:1/")).BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<StaticClient>());
        Assert.Contains("CdnBaseUrl", error.Message, StringComparison.Ordinal);
    }

    // ---- the client's logic against an in-memory site ----

    [Fact]
    public async Task A_new_version_fetches_the_root_then_only_the_changed_held_shard_and_the_changed_held_entry()
    {
        var site = new FakeSite();
        site.Publish(1, new() { ["/home.json"] = Home("v1"), ["/products/1.json"] = Product(1, "One"), ["/products/2.json"] = Product(2, "Two"), ["/products/300.json"] = Product(300, "Far") });
        using var client = site.Client();
        Assert.Equal("One", (await client.GetProductAsync(1))!.Name);
        Assert.Equal("v1", (await client.GetHomeAsync())!.Site);

        site.Publish(2, new() { ["/home.json"] = Home("v1"), ["/products/1.json"] = Product(1, "One!"), ["/products/2.json"] = Product(2, "Two!"), ["/products/300.json"] = Product(300, "Far!") });
        site.Requests.Clear();
        var change = await client.RefreshAsync();

        Assert.NotNull(change);
        Assert.Equal((2, 1), (change.Version, change.PreviousVersion));
        // products-0 changed (1 and 2); products-1 (300) is not held, so not watched; site did not change.
        Assert.Equal(["/products/1.json", "/products/2.json"], change.ChangedPaths);
        Assert.Equal(["cdn /manifest.json", $"cdn /_manifest/products-0.{site.ShardHash("products-0")}.json", $"cdn /_immutable/{Sha(Product(1, "One!"))}.json"], site.Requests);

        site.Requests.Clear();
        var read = await client.GetAsync("/products/1.json");
        Assert.Equal((ContentSource.Cache, true, true), (read!.Source, read.Verified, read.Current));
        Assert.Empty(site.Requests);
        Assert.Null(await client.RefreshAsync());
        Assert.Equal(["cdn /manifest.json"], site.Requests);
        Assert.Equal(304, site.LastStatus);
    }

    [Fact]
    public async Task Bytes_that_do_not_match_are_rejected_the_Api_answer_is_used_when_it_matches_and_a_held_verified_copy_beats_an_unverified_one()
    {
        var site = new FakeSite();
        site.Publish(1, new() { ["/products/1.json"] = Product(1, "One"), ["/products/2.json"] = Product(2, "Two") });
        site.Tamper(Sha(Product(1, "One")), "{\"evil\":true}"u8.ToArray());
        using var client = site.Client();
        var notices = new List<StaticClientNoticeEventArgs>();
        client.Notice += (_, n) => notices.Add(n);

        var first = await client.GetAsync("/products/1.json");
        Assert.Equal((ContentSource.Api, true), (first!.Source, first.Verified));
        Assert.Equal(Product(1, "One"), first.Body.ToArray());
        Assert.Contains(notices, n => n.Kind == StaticClientNoticeKind.HashMismatch);

        // Product 2 verified and held; then version 2 whose immutable copy is tampered and whose Api is ahead.
        var two = await client.GetAsync("/products/2.json");
        Assert.Equal(ContentSource.Cdn, two!.Source);
        site.Publish(2, new() { ["/products/1.json"] = Product(1, "One"), ["/products/2.json"] = Product(2, "Two v2") });
        site.Tamper(Sha(Product(2, "Two v2")), "{\"evil\":true}"u8.ToArray());
        site.ApiOverride["/products/2.json"] = Product(2, "Two v3 (not published)");
        await client.RefreshAsync();
        notices.Clear();

        var served = await client.GetAsync("/products/2.json");
        Assert.Equal(Product(2, "Two"), served!.Body.ToArray());
        Assert.Equal((true, false, ContentSource.Cache), (served.Verified, served.Current, served.Source));
        Assert.Contains(notices, n => n.Kind == StaticClientNoticeKind.OlderVerifiedCopyUsed);
        Assert.DoesNotContain(notices, n => n.Kind == StaticClientNoticeKind.UnverifiedApiAnswerUsed);

        // With nothing held, the Api's unverified answer is used, and said so.
        site.ApiOverride["/products/1.json"] = Product(1, "One v3");
        site.Publish(3, new() { ["/products/1.json"] = Product(1, "One v2"), ["/products/2.json"] = Product(2, "Two v2"), ["/products/3.json"] = Product(3, "Three") });
        site.Tamper(Sha(Product(3, "Three")), "x"u8.ToArray());
        site.ApiOverride["/products/3.json"] = Product(3, "Three v3");
        await client.RefreshAsync();
        var unverified = await client.GetAsync("/products/3.json");
        Assert.Equal((false, ContentSource.Api), (unverified!.Verified, unverified.Source));
        Assert.Contains(notices, n => n.Kind == StaticClientNoticeKind.UnverifiedApiAnswerUsed && n.Path == "/products/3.json");
    }

    [Fact]
    public async Task An_unknown_format_stops_the_manifest_and_reads_stable_paths_unverified()
    {
        var site = new FakeSite();
        site.Publish(1, new() { ["/products/1.json"] = Product(1, "One") });
        using var client = site.Client();
        Assert.True((await client.GetAsync("/products/1.json"))!.Verified);

        site.SetRoot("""{"format":99,"version":2,"everything":"else"}"""u8.ToArray());
        var notices = new List<StaticClientNoticeEventArgs>();
        client.Notice += (_, n) => notices.Add(n);
        site.Requests.Clear();
        await client.RefreshAsync();
        var read = await client.GetAsync("/products/1.json");

        Assert.False(client.ManifestInUse);
        Assert.Equal((false, ContentSource.Cdn), (read!.Verified, read.Source));
        Assert.Equal(["cdn /manifest.json", "cdn /products/1.json"], site.Requests);
        Assert.Contains(notices, n => n.Kind == StaticClientNoticeKind.UnknownFormat && n.Path == "/manifest.json");
    }

    [Fact]
    public void Documents_tolerate_fields_they_do_not_know()
    {
        var json = """{"id":1,"slug":"a-1","name":"A","description":"d","price":1.50,"currency":"EUR","category":{"id":2,"slug":"c","name":"C","url":"/categories/c/1.json","new":1},"images":[],"featuredRank":null,"updatedAt":"2026-01-01T00:00:00+00:00","rowVersion":3,"badge":"new"}""";
        var product = System.Text.Json.JsonSerializer.Deserialize(json, ClientJsonContext.Default.ProductDocument);
        Assert.Equal(1.50m, product!.Price);
        Assert.Equal("c", product.Category.Slug);
    }

    private static byte[] Product(long id, string name) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$"""{"id":{{id}},"slug":"p-{{id}}","name":"{{name}}","description":"","price":1.00,"currency":"EUR","category":{"id":1,"slug":"c","name":"C","url":"/categories/c/1.json"},"images":[],"featuredRank":null,"updatedAt":"2026-01-01T00:00:00+00:00","rowVersion":1}"""));

    private static byte[] Home(string site) => Encoding.UTF8.GetBytes($$"""{"site":"{{site}}","banner":null,"featured":[],"categories":[]}""");

    private static string Sha(byte[] body) => ContentHash.Sha256(body);

    /// <summary>A CDN and an Api in memory, laid out like the real store (the publisher's sharding, 256 products a shard).</summary>
    private sealed class FakeSite : HttpMessageHandler
    {
        private readonly Dictionary<string, byte[]> cdn = new(StringComparer.Ordinal);
        private readonly Dictionary<string, byte[]> stable = new(StringComparer.Ordinal);
        private ManifestRoot? root;

        public List<string> Requests { get; } = [];

        public Dictionary<string, byte[]> ApiOverride { get; } = new(StringComparer.Ordinal);

        public int LastStatus { get; private set; }

        public string ShardHash(string name) => root!.Shards[name];

        public StaticClient Client() => new(new HttpClient(this, false), new HttpClient(this, false),
            new StaticClientOptions { CdnBaseUrl = new Uri("http://cdn.test/"), ApiBaseUrl = new Uri("http://api.test/"), RefreshInterval = TimeSpan.FromHours(1) });

        public void Publish(long version, Dictionary<string, byte[]> paths)
        {
            var shards = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var group in paths.GroupBy(p => p.Key.StartsWith("/products/", StringComparison.Ordinal)
                ? "products-" + (long.Parse(p.Key[10..p.Key.IndexOf('.', StringComparison.Ordinal)], CultureInfo.InvariantCulture) / 256).ToString(CultureInfo.InvariantCulture) : "site"))
            {
                var shard = new ManifestShard(1, group.Key, new SortedDictionary<string, string>(group.ToDictionary(p => p.Key, p => Sha(p.Value)), StringComparer.Ordinal));
                var (bytes, hash) = ManifestSharding.Serialize(shard);
                cdn["/" + ObjectKeys.Shard(group.Key, hash)] = bytes;
                shards[group.Key] = hash;
                foreach (var (path, body) in group)
                {
                    cdn["/" + ObjectKeys.Immutable(Sha(body), ManifestLogic.Extension(path))] = body;
                    stable[path] = body;
                }
            }

            root = new ManifestRoot(1, version, ObjectKeys.ShardUrlTemplate, ObjectKeys.ImmutableUrlTemplate, shards);
            SetRoot(ManifestSharding.Serialize(root));
        }

        public void SetRoot(byte[] bytes) => cdn["/manifest.json"] = bytes;

        public void Tamper(string sha256, byte[] bytes)
        {
            var key = cdn.Keys.Single(k => k.StartsWith("/_immutable/" + sha256, StringComparison.Ordinal));
            cdn[key] = bytes;
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var isCdn = request.RequestUri!.Host == "cdn.test";
            var path = request.RequestUri.AbsolutePath;
            Requests.Add((isCdn ? "cdn " : "api ") + path);
            byte[]? body = isCdn
                ? cdn.GetValueOrDefault(path) ?? (path.StartsWith("/_", StringComparison.Ordinal) ? null : stable.GetValueOrDefault(path))
                : ApiOverride.GetValueOrDefault(path) ?? (path == "/manifest.json" ? cdn[path] : stable.GetValueOrDefault(path));
            HttpResponseMessage response;
            if (body is null)
            {
                response = new HttpResponseMessage(HttpStatusCode.NotFound);
            }
            else
            {
                var etag = "\"" + Sha(body)[..32] + "\"";
                response = request.Headers.IfNoneMatch.Any(t => t.Tag == etag)
                    ? new HttpResponseMessage(HttpStatusCode.NotModified)
                    : new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) };
                response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue(etag);
            }

            LastStatus = (int)response.StatusCode;
            return Task.FromResult(response);
        }
    }
}
