using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Static.Client;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Edge;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Configuration;
using Static.Shared.Manifests;

namespace Static.IntegrationTests;

/// <summary>
/// The .NET client (src/Client) on the real stack: its own database and bucket, a publish, a real Api process
/// and a throwaway Varnish running the generated VCL as the CDN. Requests are counted by a handler that only
/// records what the client sends through its own IHttpClientFactory pipeline.
/// </summary>
public sealed class ClientLibraryTests
{
    [Fact]
    public async Task A_restart_with_a_warm_disk_cache_fetches_only_the_manifest_with_one_conditional_request()
    {
        await using var stack = await ClientStack.StartAsync();
        var dir = Directory.CreateTempSubdirectory("static-client-cache-").FullName;
        try
        {
            string[] paths;
            var before = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            using (var first = stack.NewClient(dir))
            {
                var product = (await first.Client.GetProductAsync(3))!;
                Assert.NotNull(await first.Client.GetHomeAsync());
                Assert.NotNull(await first.Client.GetConfigAsync());
                Assert.NotNull(await first.Client.GetCategoryAsync(product.Category.Slug));
                paths = ["/products/3.json", "/home.json", "/config.json", $"/categories/{product.Category.Slug}/1.json"];
                foreach (var path in paths)
                {
                    before[path] = (await first.Client.GetAsync(path))!.Body.ToArray();
                }

                Assert.Contains(first.Requests, r => r.StartsWith("cdn GET /_immutable/", StringComparison.Ordinal));
            }

            using var second = stack.NewClient(dir);
            Assert.Equal(3, (await second.Client.GetProductAsync(3))!.Id);
            foreach (var path in paths)
            {
                var content = (await second.Client.GetAsync(path))!;
                Assert.Equal((ContentSource.Cache, true, true), (content.Source, content.Verified, content.Current));
                Assert.Equal(before[path], content.Body.ToArray());
            }

            Assert.Equal(["cdn GET /manifest.json if-none-match 304"], second.Requests);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task An_unknown_format_stops_the_manifest_and_reads_stable_paths_unverified()
    {
        await using var stack = await ClientStack.StartAsync();
        using var reader = stack.NewClient(null);
        Assert.True((await reader.Client.GetAsync("/products/3.json"))!.Verified);

        // A root of a format this client does not know, on the test's bucket, served by the edge.
        var live = (await stack.Harness.S3.GetAsync(ObjectKeys.ManifestRoot, CancellationToken.None))!;
        var future = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(live.Body)
            .Replace("\"format\":1,", "\"format\":99,", StringComparison.Ordinal)
            .Replace("\"version\":", "\"next\":true,\"version\":", StringComparison.Ordinal));
        Assert.NotEqual(live.Body, future);
        await stack.Harness.S3.PutAsync(new ObjectToPut(ObjectKeys.ManifestRoot, future, "application/json; charset=utf-8", stack.Harness.Config.Publish.CacheControl.Manifest,
            new Dictionary<string, string>()), CancellationToken.None);
        await stack.WaitForEdgeAsync("/manifest.json", body => body.Contains("\"format\":99", StringComparison.Ordinal));

        reader.ClearRequests();
        await reader.Client.RefreshAsync();
        var content = (await reader.Client.GetAsync("/products/3.json"))!;
        var product = (await reader.Client.GetProductAsync(3))!;

        Assert.False(reader.Client.ManifestInUse);
        Assert.Null(reader.Client.Version);
        Assert.Equal((false, false, ContentSource.Cdn), (content.Verified, content.Current, content.Source));
        Assert.Equal(3, product.Id);
        Assert.Equal(["cdn GET /manifest.json if-none-match 200", "cdn GET /products/3.json 200", "cdn GET /products/3.json 200"], reader.Requests);
        Assert.Contains(reader.Notices, n => n.Kind == StaticClientNoticeKind.UnknownFormat && n.Path == "/manifest.json");
        Assert.Contains(reader.Notices, n => n.Kind == StaticClientNoticeKind.UnknownFormat && n.Path == "/products/3.json");
    }

    [Fact]
    public async Task With_the_CDN_down_the_client_reads_the_manifest_and_verified_bodies_from_the_Api()
    {
        await using var stack = await ClientStack.StartAsync();
        using var warm = stack.NewClient(null);
        Assert.Equal(ContentSource.Cdn, (await warm.Client.GetAsync("/products/3.json"))!.Source);
        var version = warm.Client.Version;

        await stack.StopEdgeAsync();
        warm.ClearRequests();
        var started = DateTime.UtcNow;
        Assert.Null(await warm.Client.RefreshAsync());
        var four = (await warm.Client.GetAsync("/products/4.json"))!;

        Assert.Equal((ContentSource.Api, true, true), (four.Source, four.Verified, four.Current));
        Assert.Equal(version, warm.Client.Version);
        Assert.Contains(warm.Requests, r => r.StartsWith("api GET /manifest.json if-none-match ", StringComparison.Ordinal));
        Assert.Contains("api GET /products/4.json 200", warm.Requests);
        Assert.Contains(warm.Notices, n => n.Kind == StaticClientNoticeKind.CdnFailed);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the fail-over took " + (DateTime.UtcNow - started));

        // A cold client with the CDN down: the Api serves the root and the live shard too, so the body is verified.
        using var cold = stack.NewClient(null);
        var five = (await cold.Client.GetAsync("/products/5.json"))!;
        Assert.Equal((ContentSource.Api, true, true), (five.Source, five.Verified, five.Current));
        Assert.Equal(warm.Client.Version, cold.Client.Version);
        Assert.Contains(cold.Requests, r => r.StartsWith("api GET /_manifest/products-0.", StringComparison.Ordinal) && r.EndsWith(" 200", StringComparison.Ordinal));
        Assert.DoesNotContain(cold.Notices, n => n.Kind is StaticClientNoticeKind.NotInManifest or StaticClientNoticeKind.UnverifiedApiAnswerUsed);
    }

    [Fact]
    public async Task The_change_feed_yields_exactly_the_changed_paths_of_one_admin_change_among_the_watched_shards()
    {
        await using var stack = await ClientStack.StartAsync();
        using var reader = stack.NewClient(null, TimeSpan.FromMilliseconds(300));
        var product = (await reader.Client.GetProductAsync(3))!;
        string[] read = ["/products/3.json", "/home.json", "/config.json", $"/categories/{product.Category.Slug}/1.json"];
        foreach (var path in read)
        {
            Assert.NotNull(await reader.Client.GetAsync(path));
        }

        var before = await stack.LiveRootAsync();
        Assert.Equal(before.Version, reader.Client.Version);
        // The watched shards are exactly those of the paths read.
        var watched = new List<string>();
        foreach (var (name, hash) in before.Shards)
        {
            if ((await stack.ShardAsync(name, hash)).Entries.Keys.Intersect(read).Any())
            {
                watched.Add(name);
            }
        }

        Assert.Equal(watched.Order(StringComparer.Ordinal), reader.Client.HeldShards);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var feed = reader.Client.WatchAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        var next = feed.MoveNextAsync();

        await using (var update = stack.Servers.Database.DataSource.CreateCommand("update products set name = 'Feed Renamed', price_amount = price_amount + 1 where id = 3"))
        {
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        await stack.Harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var after = await stack.LiveRootAsync();
        Assert.True(after.Version > before.Version);

        var expected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in watched)
        {
            var old = await stack.ShardAsync(name, before.Shards[name]);
            ManifestShard? now = after.Shards.TryGetValue(name, out var hash) ? await stack.ShardAsync(name, hash) : null;
            foreach (var (path, sha) in old.Entries)
            {
                if (now is null || !now.Entries.TryGetValue(path, out var newSha) || newSha != sha)
                {
                    expected.Add(path);
                }
            }

            foreach (var path in now?.Entries.Keys.Except(old.Entries.Keys) ?? [])
            {
                expected.Add(path);
            }
        }

        Assert.Contains("/products/3.json", expected);
        Assert.True(await next, "the feed ended");
        var change = feed.Current;
        Assert.Equal((after.Version, before.Version), (change.Version, change.PreviousVersion));
        Assert.Equal(expected, change.ChangedPaths);
        Assert.Equal("Feed Renamed", (await reader.Client.GetProductAsync(3))!.Name);
    }

    [Fact]
    public async Task A_tampered_immutable_object_is_rejected_for_the_Apis_verified_answer_and_never_used_over_a_held_verified_copy()
    {
        await using var stack = await ClientStack.StartAsync();
        using var reader = stack.NewClient(null);

        // 1. Nothing held: the CDN serves wrong bytes for the entry; the Api's bytes match; they are used.
        var root = await stack.LiveRootAsync();
        var three = await stack.EntryAsync(root, "/products/3.json");
        var wrong = Encoding.UTF8.GetBytes("{\"id\":3,\"name\":\"Tampered\"}");
        await stack.OverwriteAsync(ObjectKeys.Immutable(three, ".json"), wrong);
        Assert.Equal(wrong, await stack.EdgeBytesAsync("/" + ObjectKeys.Immutable(three, ".json")));

        var first = (await reader.Client.GetAsync("/products/3.json"))!;
        Assert.Equal((ContentSource.Api, true, true, three), (first.Source, first.Verified, first.Current, first.Sha256));
        Assert.Equal(three, ContentHash.Sha256(first.Body.Span));
        Assert.Contains(reader.Notices, n => n.Kind == StaticClientNoticeKind.HashMismatch && n.Path!.Contains(three, StringComparison.Ordinal));

        // 2. A verified copy held; the next version's immutable copy is tampered and the Api is ahead of it.
        var held = (await reader.Client.GetAsync("/products/5.json"))!;
        Assert.Equal((ContentSource.Cdn, true), (held.Source, held.Verified));
        await stack.RenameAsync(5, "Published Rename");
        await stack.Harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var next = await stack.LiveRootAsync();
        var five = await stack.EntryAsync(next, "/products/5.json");
        await stack.OverwriteAsync(ObjectKeys.Immutable(five, ".json"), wrong);
        await stack.RenameAsync(5, "Unpublished Rename");
        var apiAnswer = await stack.ApiBytesAsync("/products/5.json");
        Assert.Contains("Unpublished Rename", Encoding.UTF8.GetString(apiAnswer), StringComparison.Ordinal);
        Assert.NotEqual(five, ContentHash.Sha256(apiAnswer));

        await stack.WaitForEdgeAsync("/manifest.json", body => body.Contains(string.Create(CultureInfo.InvariantCulture, $"\"version\":{next.Version},"), StringComparison.Ordinal));
        reader.Notices.Clear();
        Assert.NotNull(await reader.Client.RefreshAsync());
        Assert.Equal(next.Version, reader.Client.Version);
        var served = (await reader.Client.GetAsync("/products/5.json"))!;

        Assert.Equal(held.Body.ToArray(), served.Body.ToArray());
        Assert.Equal((true, false, ContentSource.Cache), (served.Verified, served.Current, served.Source));
        Assert.Contains(reader.Notices, n => n.Kind == StaticClientNoticeKind.HashMismatch);
        Assert.Contains(reader.Notices, n => n.Kind == StaticClientNoticeKind.OlderVerifiedCopyUsed && n.Path == "/products/5.json");
        Assert.DoesNotContain(reader.Notices, n => n.Kind == StaticClientNoticeKind.UnverifiedApiAnswerUsed);
        Assert.Equal(wrong, await stack.EdgeBytesAsync("/" + ObjectKeys.Immutable(five, ".json")));
    }

    /// <summary>Seeded database, a publish, the Api as a process and Varnish on the generated VCL.</summary>
    private sealed class ClientStack : IAsyncDisposable
    {
        private TestVarnish? edge;
        private ApiProcess? api;

        private ClientStack(IsolatedServers servers, PublisherHarness harness, ApiProcess api, TestVarnish edge, int apiPort)
        {
            Servers = servers;
            Harness = harness;
            this.api = api;
            this.edge = edge;
            CdnUrl = edge.Client.BaseAddress!;
            ApiUrl = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{apiPort}/"));
        }

        public IsolatedServers Servers { get; }

        public PublisherHarness Harness { get; }

        public Uri CdnUrl { get; }

        public Uri ApiUrl { get; }

        public static async Task<ClientStack> StartAsync()
        {
            var servers = await IsolatedServers.CreateAsync();
            await PublisherHarness.SeedAsync(servers, products: 40, categories: 2);
            var apiPort = TestVarnish.FreePort();
            var api = await ApiProcess.StartAsync(servers.Database.ConnectionString, apiPort);
            var config = PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
            config.Cdn.ApiOrigins = [string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{apiPort}")];
            var s3 = new Uri(StackServers.Require(StackServers.Settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL"));
            var edge = await TestVarnish.StartWithVclAsync(VarnishConfigGenerator.Generate(config, s3, servers.Bucket.Name));
            var harness = await PublisherHarness.CreateAsync(servers, cdn: new VarnishInvalidator(new HttpClient(), edge.Client.BaseAddress!, 100));
            await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
            return new ClientStack(servers, harness, api, edge, apiPort);
        }

        public RecordedClient NewClient(string? cacheDirectory, TimeSpan? refreshInterval = null) =>
            new(CdnUrl, ApiUrl, cacheDirectory, refreshInterval ?? TimeSpan.FromMinutes(5));

        public async Task StopEdgeAsync()
        {
            if (edge is not null)
            {
                await edge.DisposeAsync();
                edge = null;
            }
        }

        public async Task<ManifestRoot> LiveRootAsync() =>
            ManifestSharding.DeserializeRoot((await Harness.S3.GetAsync(ObjectKeys.ManifestRoot, CancellationToken.None))!.Body);

        public async Task<ManifestShard> ShardAsync(string name, string hash) =>
            ManifestSharding.DeserializeShard((await Harness.S3.GetAsync(ObjectKeys.Shard(name, hash), CancellationToken.None))!.Body);

        public async Task<string> EntryAsync(ManifestRoot root, string path)
        {
            foreach (var (name, hash) in root.Shards)
            {
                if ((await ShardAsync(name, hash)).Entries.TryGetValue(path, out var sha))
                {
                    return sha;
                }
            }

            throw new InvalidOperationException(path + " is in no shard");
        }

        public Task OverwriteAsync(string key, byte[] bytes) =>
            Harness.S3.PutAsync(new ObjectToPut(key, bytes, "application/json; charset=utf-8", Harness.Config.Publish.CacheControl.Immutable, new Dictionary<string, string>()), CancellationToken.None);

        public async Task RenameAsync(long id, string name)
        {
            await using var update = Servers.Database.DataSource.CreateCommand("update products set name = $1 where id = $2");
            update.Parameters.AddWithValue(name);
            update.Parameters.AddWithValue(id);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        public async Task<byte[]> EdgeBytesAsync(string path) => await edge!.Client.GetByteArrayAsync(path);

        public async Task<byte[]> ApiBytesAsync(string path)
        {
            using var client = new HttpClient { BaseAddress = ApiUrl };
            return await client.GetByteArrayAsync(path);
        }

        public async Task WaitForEdgeAsync(string path, Func<string, bool> done)
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (!done(await edge!.Client.GetStringAsync(path)))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the edge did not serve the expected {path} within 15 s");
                await Task.Delay(250);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopEdgeAsync();
            if (api is not null)
            {
                await api.DisposeAsync();
                api = null;
            }

            await Harness.DisposeAsync();
            await Servers.DisposeAsync();
        }
    }

    /// <summary>A client built by AddStaticClient, with a handler that records each request it sends (and its answer).</summary>
    private sealed class RecordedClient : IDisposable
    {
        private readonly ServiceProvider provider;
        private readonly ConcurrentQueue<string> log = new();

        public RecordedClient(Uri cdn, Uri api, string? cacheDirectory, TimeSpan refreshInterval)
        {
            var services = new ServiceCollection().AddStaticClient(o =>
            {
                o.CdnBaseUrl = cdn;
                o.ApiBaseUrl = api;
                o.CacheDirectory = cacheDirectory;
                o.RefreshInterval = refreshInterval;
            });
            services.AddHttpClient(StaticClient.CdnClientName).AddHttpMessageHandler(() => new Recorder("cdn", log));
            services.AddHttpClient(StaticClient.ApiClientName).AddHttpMessageHandler(() => new Recorder("api", log));
            provider = services.BuildServiceProvider();
            Client = provider.GetRequiredService<StaticClient>();
            Client.Notice += (_, n) => Notices.Add(n);
        }

        public StaticClient Client { get; }

        public List<string> Requests => [.. log];

        public ConcurrentBag<StaticClientNoticeEventArgs> Notices { get; } = [];

        public void ClearRequests() => log.Clear();

        public void Dispose() => provider.Dispose();

        private sealed class Recorder(string name, ConcurrentQueue<string> log) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var conditional = request.Headers.IfNoneMatch.Count > 0 ? " if-none-match" : "";
                try
                {
                    var response = await base.SendAsync(request, cancellationToken);
                    log.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{name} {request.Method} {request.RequestUri!.AbsolutePath}{conditional} {(int)response.StatusCode}"));
                    return response;
                }
                catch (HttpRequestException)
                {
                    log.Enqueue($"{name} {request.Method} {request.RequestUri!.AbsolutePath}{conditional} failed");
                    throw;
                }
            }
        }
    }
}
