using System.Globalization;
using System.Text;
using System.Text.Json;
using Static.Publisher.Edge;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Configuration;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>A shop of the test's own: seeded database and bucket, the Api process, a Varnish edge, a publisher.</summary>
internal sealed class Shop : IAsyncDisposable
{
    private IsolatedServers servers = null!;

    public ApiProcess Api { get; private set; } = null!;

    public int ApiPort { get; private set; }

    public ShopEdge Edge { get; private set; } = null!;

    public PublisherHarness Harness { get; private set; } = null!;

    public static async Task<Shop> StartAsync(bool serviceWorker, int products = 40, int categories = 2)
    {
        var shop = new Shop { servers = await IsolatedServers.CreateAsync() };
        await PublisherHarness.SeedAsync(shop.servers, products: products, categories: categories);
        shop.ApiPort = TestVarnish.FreePort();
        var apiUrl = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{shop.ApiPort}");
        shop.Api = await ApiProcess.StartAsync(shop.servers.Database.ConnectionString, shop.ApiPort, new Dictionary<string, string>
        {
            ["STATIC_CONFIG__client__apiBaseUrl"] = apiUrl,
            ["STATIC_CONFIG__client__serviceWorker"] = serviceWorker ? "true" : "false",
            ["STATIC_CONFIG__client__refreshSeconds"] = "0",
        });
        var config = PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
        config.Cdn.ApiOrigins = [string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{shop.ApiPort}")];
        config.Client.ApiBaseUrl = apiUrl;   // the edge's Content-Security-Policy lets the pages read the Api
        var s3 = new Uri(StackServers.Require(StackServers.Settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL"));
        var varnish = await TestVarnish.StartWithVclAsync(VarnishConfigGenerator.Generate(config, s3, shop.servers.Bucket.Name));
        shop.Edge = new ShopEdge(varnish);
        shop.Harness = await PublisherHarness.CreateAsync(shop.servers, configure: c =>
        {
            c.Client.ApiBaseUrl = apiUrl;
            c.Client.ServiceWorker = serviceWorker;
            c.Client.RefreshSeconds = 0;   // the tests trigger checks by focus
        }, cdn: new VarnishInvalidator(new HttpClient(), varnish.Client.BaseAddress!, 100));
        await shop.Harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        return shop;
    }

    public async Task RenameAsync(long id, string name, bool publish = true)
    {
        await using (var update = servers.Database.DataSource.CreateCommand("update products set name = @name where id = @id"))
        {
            update.Parameters.AddWithValue("name", name);
            update.Parameters.AddWithValue("id", id);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        if (publish)
        {
            await Harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        }
    }

    public async Task<int> StockAsync(long id)
    {
        await using var query = servers.Database.DataSource.CreateCommand("select quantity from stock_levels where product_id = @id");
        query.Parameters.AddWithValue("id", id);
        return (int)(await query.ExecuteScalarAsync() ?? throw new InvalidOperationException($"product {id} has no stock row"));
    }

    /// <summary>One row of a query on the shop's database, mapped (the test fails when there is none).</summary>
    public async Task<T> QuerySingleAsync<T>(string sql, Func<Npgsql.NpgsqlDataReader, T> map, params (string Name, object Value)[] parameters)
    {
        await using var query = servers.Database.DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            query.Parameters.AddWithValue(name, value);
        }

        await using var reader = await query.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no row for: {sql}");
        return map(reader);
    }

    /// <summary>Overwrites an immutable object on the store with other bytes (the edge has not cached it yet).</summary>
    public Task TamperAsync(string sha256, string body) =>
        Harness.S3.PutAsync(new ObjectToPut($"_immutable/{sha256}.json", Encoding.UTF8.GetBytes(body), "application/json; charset=utf-8",
            Harness.Config.Publish.CacheControl.Immutable, new Dictionary<string, string>()), CancellationToken.None);

    public async Task<ShopRoot> RootAsync() => ShopRoot.Parse(await Edge.Client.GetStringAsync("/manifest.json"));

    public async Task<ShopRoot> RootFromApiAsync()
    {
        using var client = new HttpClient();
        return ShopRoot.Parse(await client.GetStringAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{ApiPort}/manifest.json"))));
    }

    /// <summary>The edge keeps the root two seconds: waits until it serves a newer one.</summary>
    public async Task<ShopRoot> WaitForNewRootAsync(ShopRoot before)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await Edge.Client.GetAsync("/manifest.json");
            var root = ShopRoot.Parse(await response.Content.ReadAsStringAsync());
            if (root.Version > before.Version)
            {
                return root;
            }

            if (DateTime.UtcNow > deadline)
            {
                using var store = new HttpClient();
                var s3 = StackServers.Require(StackServers.Settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL");
                using var direct = await store.GetAsync(new Uri($"{s3}/{servers.Bucket.Name}/manifest.json"));
                Assert.Fail($"the edge still serves version {root.Version} (the Api's live version is {(await RootFromApiAsync()).Version}; the store's is {ShopRoot.Parse(await direct.Content.ReadAsStringAsync()).Version} with {direct.Content.Headers} {direct.Headers}; edge headers: {response.Headers} {response.Content.Headers})");
            }

            await Task.Delay(200);
        }
    }

    public async Task<Dictionary<string, string>> ShardAsync(ShopRoot root, string shard)
    {
        using var json = JsonDocument.Parse(await Edge.Client.GetStringAsync($"/_manifest/{shard}.{root.Shards[shard]}.json"));
        return json.RootElement.GetProperty("entries").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.DisposeAsync();
        await Edge.DisposeAsync();
        await Api.DisposeAsync();
        await servers.DisposeAsync();
    }
}

internal sealed record ShopRoot(long Version, Dictionary<string, string> Shards)
{
    public static ShopRoot Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return new ShopRoot(document.RootElement.GetProperty("version").GetInt64(),
            document.RootElement.GetProperty("shards").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal));
    }
}

/// <summary>The test's Varnish, stoppable once mid-test.</summary>
internal sealed class ShopEdge(TestVarnish varnish) : IAsyncDisposable
{
    private bool stopped;

    public int Port => varnish.Port;

    public HttpClient Client => varnish.Client;

    public string Url(string path) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{varnish.Port}{path}");

    public async ValueTask DisposeAsync()
    {
        if (!stopped)
        {
            stopped = true;
            await varnish.DisposeAsync();
        }
    }
}
