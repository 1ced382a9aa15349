using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Static.IntegrationTests.Infrastructure;

namespace Static.IntegrationTests;

/// <summary>
/// The browser module (src/Templates/assets/static.js) in a real Chromium against the real stack: a test's own
/// database and bucket, the generated edge VCL in a Varnish of its own, and the Api as a process behind it. Data
/// requests are the module's fetches of the manifest, shards, immutable copies and stable artifacts, on the edge
/// or the Api (not the HTML navigation, not scripts, not /stock).
/// </summary>
public sealed class BrowserClientTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string EventsScript = """
        window.__events = [];
        for (const name of ['change', 'fallback', 'unverified', 'stale', 'format', 'offline']) {
          document.addEventListener('static:' + name, (e) => window.__events.push({ name, detail: e.detail }));
        }
        """;

    [Fact]
    public async Task The_homepage_renders_the_demo_catalog_and_a_revisit_with_nothing_changed_makes_one_conditional_manifest_request()
    {
        await using var shop = await Shop.StartAsync(serviceWorker: false);
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        var requests = DataRequests.Watch(page);
        await OpenAsync(page, shop.Edge.Url("/"));

        using var home = JsonDocument.Parse(await shop.Edge.Client.GetStringAsync("/home.json"));
        var featured = home.RootElement.GetProperty("featured").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToList();
        Assert.NotEmpty(featured);
        Assert.Equal(featured, await page.Locator("[data-list=featured] li a").AllTextContentsAsync());
        Assert.Contains(requests.All, r => r.Path == "/manifest.json" && r.Status == 200);
        Assert.Contains(requests.All, r => r.Path.StartsWith("/_manifest/site.", StringComparison.Ordinal) && r.Status == 200);

        requests.Clear();
        await OpenAsync(page, shop.Edge.Url("/"));
        await Task.Delay(500);   // anything late would show up here
        Assert.Equal([("/manifest.json", 304)], requests.All.Select(r => (r.Path, r.Status)));
        Assert.Equal(featured, await page.Locator("[data-list=featured] li a").AllTextContentsAsync());
        Assert.Empty(await EventsAsync(page, "fallback", "unverified", "stale"));
    }

    [Fact]
    public async Task An_admin_change_to_the_open_product_shows_without_a_reload_fetching_the_root_and_only_the_changed_shards_and_entries_it_holds()
    {
        await using var shop = await Shop.StartAsync(serviceWorker: false);
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        var requests = DataRequests.Watch(page);
        await OpenAsync(page, shop.Edge.Url("/products/3.html"));
        var before = await shop.RootAsync();
        var heldShard = await page.GetAttributeAsync("meta[name=static-shard]", "content") ?? throw new InvalidOperationException("no static-shard meta");
        const string held = "/products/3.json";
        var shardBefore = await shop.ShardAsync(before, heldShard);
        await page.EvaluateAsync("() => { window.__marker = 42; }");

        requests.Clear();
        await shop.RenameAsync(3, "Renamed While Open");
        var after = await shop.WaitForNewRootAsync(before);
        await page.EvaluateAsync("() => window.dispatchEvent(new Event('focus'))");
        await page.WaitForFunctionAsync("n => document.querySelector('h1').textContent === n", "Renamed While Open", new() { Timeout = 15_000 });
        await page.WaitForFunctionAsync("v => document.documentElement.dataset.staticVersion === v", after.Version.ToString(CultureInfo.InvariantCulture));

        // The exact set, computed from the two manifests: the root, the held shard if its hash changed, the held
        // entry if its hash changed — each from its immutable URL.
        var expected = new List<string> { "/manifest.json" };
        if (before.Shards[heldShard] != after.Shards[heldShard])
        {
            expected.Add($"/_manifest/{heldShard}.{after.Shards[heldShard]}.json");
            var shardAfter = await shop.ShardAsync(after, heldShard);
            if (shardBefore[held] != shardAfter[held])
            {
                expected.Add($"/_immutable/{shardAfter[held]}.json");
            }
        }

        Assert.Equal(3, expected.Count);   // the rename changes the product's shard and entry
        Assert.Equal(expected.Order(StringComparer.Ordinal), requests.All.Select(r => r.Path).Order(StringComparer.Ordinal));
        Assert.All(requests.All, r => Assert.Equal(200, r.Status));
        Assert.All(requests.All, r => Assert.Equal(shop.Edge.Port, r.Port));
        Assert.Equal(42, await page.EvaluateAsync<int>("() => window.__marker"));   // no reload
        Assert.Equal("Renamed While Open · Static Demo Shop", await page.TitleAsync());
        var change = Assert.Single(await EventsAsync(page, "change"));
        Assert.Equal([held], change.GetProperty("detail").GetProperty("paths").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task A_product_pages_stock_badge_is_filled_from_the_Apis_stock_through_the_edge()
    {
        await using var shop = await Shop.StartAsync(serviceWorker: false);
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        var stockReads = new ConcurrentQueue<int>();
        page.Response += (_, r) =>
        {
            if (new Uri(r.Url).AbsolutePath == "/stock")
            {
                stockReads.Enqueue(r.Status);
            }
        };
        await OpenAsync(page, shop.Edge.Url("/products/6.html"));
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.staticStock === 'true'");
        Assert.Equal([200], stockReads);
        Assert.Equal((await shop.StockAsync(6)).ToString(CultureInfo.InvariantCulture), await page.GetAttributeAsync("p.stock", "data-quantity"));
        Assert.NotEqual("", await page.TextContentAsync("p.stock"));
    }

    [Fact]
    public async Task Product_images_load_through_the_edge_immutable_and_the_module_leaves_an_unchanged_listing_in_place()
    {
        await using var shop = await Shop.StartAsync(serviceWorker: false);
        await using var context = await NewContextAsync();
        await context.AddInitScriptAsync("""
            document.addEventListener('DOMContentLoaded', () => {
              window.__replaced = 0;
              const list = document.querySelector('[data-list]');
              if (list) new MutationObserver(() => window.__replaced++).observe(list, { childList: true });
            });
            """);
        var page = await context.NewPageAsync();
        var images = new ConcurrentQueue<(string Path, int Status)>();
        page.Response += (_, r) =>
        {
            var path = new Uri(r.Url).AbsolutePath;
            if (path.StartsWith("/_immutable/img/", StringComparison.Ordinal))
            {
                images.Enqueue((path, r.Status));
            }
        };
        page.RequestFailed += (_, r) =>
        {
            var path = new Uri(r.Url).AbsolutePath;
            if (path.StartsWith("/_immutable/img/", StringComparison.Ordinal))
            {
                images.Enqueue((path, 0));
            }
        };

        using var product = JsonDocument.Parse(await shop.Edge.Client.GetStringAsync("/products/6.json"));
        var category = product.RootElement.GetProperty("category").GetProperty("url").GetString()!.Replace(".json", ".html", StringComparison.Ordinal);
        foreach (var url in new[] { "/", category, "/products/6.html" })
        {
            await OpenAsync(page, shop.Edge.Url(url));
            Assert.True(await page.EvaluateAsync<int>("() => document.images.length") > 0, url);
            await page.WaitForFunctionAsync("() => [...document.images].filter((i) => i.loading !== 'lazy').every((i) => i.complete && i.naturalWidth > 0)",
                null, new() { Timeout = 15_000 });
            await Task.Delay(300);
            Assert.Equal(0, await page.EvaluateAsync<int>("() => window.__replaced ?? 0"));
        }

        Assert.NotEmpty(images);
        Assert.All(images, i => Assert.True(i.Status == 200, $"{i.Path}: {i.Status}"));
        Assert.Equal("high", await page.GetAttributeAsync(".gallery img", "fetchpriority"));

        var variant = images.First().Path;
        using var first = await shop.Edge.Client.GetAsync(new Uri(variant, UriKind.Relative));
        using var again = await shop.Edge.Client.GetAsync(new Uri(variant, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("immutable", again.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        Assert.Equal("HIT", again.Headers.GetValues("x-cache").Single());
        Assert.StartsWith("image/", again.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_edge_stopped_the_next_refresh_gets_its_data_from_the_Api_and_verifies_it()
    {
        await using var shop = await Shop.StartAsync(serviceWorker: false);
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        var requests = DataRequests.Watch(page);
        await OpenAsync(page, shop.Edge.Url("/products/3.html"));
        var before = await shop.RootAsync();

        await shop.Edge.DisposeAsync();
        requests.Clear();
        await shop.RenameAsync(3, "Renamed With The Edge Down");
        await page.EvaluateAsync("() => window.dispatchEvent(new Event('focus'))");
        await page.WaitForFunctionAsync("n => document.querySelector('h1').textContent === n", "Renamed With The Edge Down", new() { Timeout = 15_000 });

        var fromApi = requests.All.Where(r => r.Port == shop.ApiPort).ToList();
        Assert.Contains(fromApi, r => r.Path == "/manifest.json" && r.Status == 200);
        Assert.Contains(fromApi, r => r.Path.StartsWith("/_manifest/products-", StringComparison.Ordinal) && r.Status == 200);
        Assert.Contains(fromApi, r => r.Path == "/products/3.json" && r.Status == 200);
        Assert.All(requests.All.Where(r => r.Port == shop.Edge.Port), r => Assert.Equal(0, r.Status));   // every edge request failed
        Assert.NotEmpty(await EventsAsync(page, "fallback"));
        Assert.Empty(await EventsAsync(page, "unverified", "stale"));
        Assert.True((await shop.RootFromApiAsync()).Version > before.Version);
    }

    [Fact]
    public async Task With_the_service_worker_on_a_reload_with_edge_and_Api_stopped_still_shows_what_it_verified()
    {
        await using var shop = await Shop.StartAsync(serviceWorker: true);
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await OpenAsync(page, shop.Edge.Url("/products/4.html"));
        await page.WaitForFunctionAsync("() => navigator.serviceWorker.controller !== null", null, new() { Timeout = 15_000 });
        await OpenAsync(page, shop.Edge.Url("/products/4.html"));   // now through the worker, which keeps the page
        var name = await page.TextContentAsync("h1");
        var version = await page.EvaluateAsync<string>("() => document.documentElement.dataset.staticVersion");

        await shop.Edge.DisposeAsync();
        await shop.Api.DisposeAsync();
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.staticReady === 'true'", null, new() { Timeout = 15_000 });
        Assert.Equal(name, await page.TextContentAsync("h1"));
        Assert.Equal(version, await page.EvaluateAsync<string>("() => document.documentElement.dataset.staticVersion"));
        Assert.Null(await page.EvaluateAsync<string?>("() => document.documentElement.dataset.staticError ?? null"));
        Assert.NotEmpty(await EventsAsync(page, "offline"));
        Assert.Empty(await EventsAsync(page, "unverified"));
    }

    [Fact]
    public async Task A_tampered_immutable_body_is_rejected_and_fetched_from_the_Api_and_never_used_while_a_verified_copy_is_held()
    {
        await using var shop = await Shop.StartAsync(serviceWorker: false);
        var root = await shop.RootAsync();
        var shard = await shop.ShardAsync(root, ShardOfProduct(shop, 5));
        var real = await shop.Edge.Client.GetStringAsync("/products/5.json");
        var realName = JsonDocument.Parse(real).RootElement.GetProperty("name").GetString()!;
        await shop.TamperAsync(shard["/products/5.json"], real.Replace(realName, "TAMPERED NAME", StringComparison.Ordinal));

        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        var requests = DataRequests.Watch(page);
        await OpenAsync(page, shop.Edge.Url("/products/5.html"));
        Assert.Equal(realName, await page.TextContentAsync("h1"));
        var fallback = await EventsAsync(page, "fallback");
        Assert.Contains(fallback, e => e.GetProperty("detail").GetProperty("url").GetString() == $"/_immutable/{shard["/products/5.json"]}.json"
            && e.GetProperty("detail").GetProperty("reason").GetString() == "hash mismatch");
        Assert.Contains(requests.All, r => r.Port == shop.ApiPort && r.Path == "/products/5.json" && r.Status == 200);
        Assert.Empty(await EventsAsync(page, "unverified"));

        // A verified copy is now held. A new publish whose immutable body is tampered too, while the Api is ahead
        // of that publish: no source matches the manifest, so the page keeps its verified copy and says so.
        await shop.RenameAsync(5, "Published Name");
        var after = await shop.WaitForNewRootAsync(root);
        var newShard = await shop.ShardAsync(after, ShardOfProduct(shop, 5));
        await shop.TamperAsync(newShard["/products/5.json"], real.Replace(realName, "TAMPERED AGAIN", StringComparison.Ordinal));
        await shop.RenameAsync(5, "Ahead Of The Publish", publish: false);
        await page.EvaluateAsync("() => window.dispatchEvent(new Event('focus'))");
        await page.WaitForFunctionAsync("() => window.__events.some(e => e.name === 'stale')", null, new() { Timeout = 15_000 });
        Assert.Equal(realName, await page.TextContentAsync("h1"));
        Assert.DoesNotContain("TAMPERED", await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Empty(await EventsAsync(page, "unverified"));
    }

    private static string ShardOfProduct(Shop shop, long id) =>
        string.Create(CultureInfo.InvariantCulture, $"products-{id / shop.Harness.Config.Publish.ProductsPerShard}");

    private async Task<IBrowserContext> NewContextAsync()
    {
        var context = await browser.Browser.NewContextAsync();
        await context.AddInitScriptAsync(EventsScript);
        return context;
    }

    private static async Task OpenAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.staticReady === 'true'", null, new() { Timeout = 15_000 });
        Assert.Null(await page.EvaluateAsync<string?>("() => document.documentElement.dataset.staticError ?? null"));
    }

    private static async Task<List<JsonElement>> EventsAsync(IPage page, params string[] names)
    {
        var json = await page.EvaluateAsync<string>("() => JSON.stringify(window.__events)");
        return JsonDocument.Parse(json).RootElement.EnumerateArray().Where(e => names.Contains(e.GetProperty("name").GetString())).Select(e => e.Clone()).ToList();
    }

    private sealed record DataRequest(int Port, string Path, int Status);

    /// <summary>The module's data fetches as the browser saw them: URL and status (0 when the request failed).</summary>
    private sealed class DataRequests
    {
        private readonly ConcurrentQueue<DataRequest> seen = new();
        private readonly ConcurrentDictionary<IRequest, bool> answered = new();

        public IReadOnlyList<DataRequest> All => [.. seen];

        public static DataRequests Watch(IPage page)
        {
            var requests = new DataRequests();
            page.Response += (_, response) => requests.Record(response.Request, response.Status);
            // Chromium reports a 304 to a no-store fetch as a response and then as failed (ERR_ABORTED, no body
            // follows): a request that got a response is counted once, with its status.
            page.RequestFailed += (_, request) => requests.Record(request, 0);
            return requests;
        }

        public void Clear() => seen.Clear();

        private void Record(IRequest request, int status)
        {
            var uri = new Uri(request.Url);
            var path = uri.AbsolutePath;
            if (!answered.TryAdd(request, true))
            {
                return;
            }

            if (request.ResourceType == "fetch" && path != "/stock"
                && (path == "/manifest.json" || path.StartsWith("/_manifest/", StringComparison.Ordinal) || path.StartsWith("/_immutable/", StringComparison.Ordinal)
                    || path.EndsWith(".json", StringComparison.Ordinal) || path.EndsWith(".html", StringComparison.Ordinal)))
            {
                seen.Enqueue(new DataRequest(uri.Port, path, status));
            }
        }
    }
}
