using System.Diagnostics;
using System.Globalization;
using System.Net;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Edge;
using Static.Publisher.Publishing;
using Static.Shared.Configuration;

namespace Static.IntegrationTests;

/// <summary>
/// The hardened surface (issue 14) with a real Api process behind a Varnish on the generated VCL: management endpoints
/// only on the management port, only the Api's public reads through the edge, security headers from both, and listing
/// pages 2 and on kept at the edge only for their short TTL.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class SurfaceTests
{
    private static readonly string[] ManagementPaths = ["/healthz", "/readyz", "/metrics", "/openapi/v1.json"];

    [Fact]
    public async Task The_Api_as_shipped_started_from_the_checkout_logs_its_start_but_no_line_per_request()
    {
        // As a deployer starts it: the build's own appsettings.json, no logging variables, working folder elsewhere.
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 20, categories: 2);
        var apiPort = TestVarnish.FreePort();
        await using var api = await ApiProcess.StartAsync(servers.Database.ConnectionString, apiPort, shippedLogging: true);
        using var client = new HttpClient();
        for (var i = 0; i < 50; i++)
        {
            using var response = await client.GetAsync(Url(apiPort, "/products/1.json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Task.Delay(500);   // the console logger writes in the background
        var output = api.Output;
        Assert.Contains(output, l => l.Contains("Now listening on", StringComparison.Ordinal));
        Assert.DoesNotContain(output, l => l.Contains("Request starting", StringComparison.Ordinal) || l.Contains("Request finished", StringComparison.Ordinal)
            || l.Contains("Executing endpoint", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Management_endpoints_answer_on_the_management_port_only_and_nothing_but_public_reads_passes_the_edge()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 100, categories: 2);
        var apiPort = TestVarnish.FreePort();
        await using var api = await ApiProcess.StartAsync(servers.Database.ConnectionString, apiPort);
        await using var edge = await StartEdgeAsync(servers, apiPort);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        using var direct = new HttpClient();

        foreach (var path in ManagementPaths)
        {
            using var management = await direct.GetAsync(Url(api.ManagementPort, path));
            Assert.True(management.StatusCode == HttpStatusCode.OK, $"{path} on the management port: {(int)management.StatusCode}");
            using var onPublic = await direct.GetAsync(Url(apiPort, path));
            Assert.True(onPublic.StatusCode == HttpStatusCode.NotFound, $"{path} on the public port: {(int)onPublic.StatusCode}");

            // Through the edge: the store lacks it and it is no public read, so the Api is never asked.
            using var viaEdge = await edge.Client.GetAsync(path);
            Assert.True(viaEdge.StatusCode == HttpStatusCode.NotFound, $"{path} through the edge: {(int)viaEdge.StatusCode}");
            Assert.NotEqual("api", Header(viaEdge, "x-origin"));
            Assert.DoesNotContain("# TYPE", await viaEdge.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var notManagement = await direct.GetAsync(Url(api.ManagementPort, "/products/1.json")))
        {
            Assert.Equal(HttpStatusCode.NotFound, notManagement.StatusCode);
        }

        // The probe's route: the Api's own 400, no database needed.
        using (var probe = await direct.GetAsync(Url(apiPort, "/stock")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, probe.StatusCode);
        }

        // Admin is the Api's own address's: through the edge a read is a 404 and a write is refused by the edge itself.
        using (var admin = await edge.Client.GetAsync("/admin/publishes"))
        {
            Assert.Equal(HttpStatusCode.NotFound, admin.StatusCode);
            Assert.NotEqual("api", Header(admin, "x-origin"));
        }

        using (var write = await edge.Client.PutAsync("/admin/products/1", new StringContent("{}")))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, write.StatusCode);
        }

        using (var post = await edge.Client.PostAsync("/products/1.json", new StringContent("{}")))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        }

        // The public reads still fall back: a product created after the publish, and a listing's page 2.
        await using (var insert = servers.Database.DataSource.CreateCommand(
            "insert into products (id, slug, name, price_amount, currency, category_id) select 900, 'late-900', 'Late', 5.00, 'EUR', category_id from products where id = 1"))
        {
            await insert.ExecuteNonQueryAsync();
        }

        using (var late = await edge.Client.GetAsync("/products/900.json"))
        {
            Assert.Equal(HttpStatusCode.OK, late.StatusCode);
            Assert.Equal("api", Header(late, "x-origin"));
            Assert.Equal("nosniff", Header(late, "X-Content-Type-Options"));
            Assert.Null(Header(late, "Content-Security-Policy"));
        }

        var slug = await BiggestCategoryAsync(servers);
        using (var page2 = await edge.Client.GetAsync($"/categories/{slug}/2.html"))
        {
            Assert.Equal(HttpStatusCode.OK, page2.StatusCode);
            Assert.Equal("api", Header(page2, "x-origin"));
        }

        // Security headers on pages: from the store (set by the edge) and from the Api directly (sent by the Api).
        var csp = SecurityHeaders.ContentSecurityPolicy(harness.Config);
        foreach (var response in new[] { await edge.Client.GetAsync("/index.html"), await direct.GetAsync(Url(apiPort, $"/categories/{slug}/2.html")) })
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(csp, Header(response, "Content-Security-Policy"));
                Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
                Assert.Equal("strict-origin-when-cross-origin", Header(response, "Referrer-Policy"));
            }
        }

        using var missing = await edge.Client.GetAsync("/no/such/page");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("text/html", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(csp, Header(missing, "Content-Security-Policy"));
        using var missingData = await edge.Client.GetAsync("/no/such/data.json");
        Assert.Equal(HttpStatusCode.NotFound, missingData.StatusCode);
        Assert.Equal("application/problem+json", missingData.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_listing_page_2_changed_in_the_catalog_reaches_the_edge_within_its_short_TTL()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 100, categories: 2);
        var apiPort = TestVarnish.FreePort();
        await using var api = await ApiProcess.StartAsync(servers.Database.ConnectionString, apiPort, new Dictionary<string, string>
        {
            ["STATIC_CONFIG__publish__cacheControl__listingPage"] = "public, max-age=0, s-maxage=3",
        });
        await using var edge = await StartEdgeAsync(servers, apiPort);
        var slug = await BiggestCategoryAsync(servers);
        var path = $"/categories/{slug}/2.html";

        using (var first = await edge.Client.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("public, max-age=0, s-maxage=3", first.Headers.CacheControl?.ToString());
        }

        // Page 2 starts after a page's worth of the category's products, by id.
        var pageSize = PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable()).Catalog.ListingPageSize;
        await using (var rename = servers.Database.DataSource.CreateCommand(
            "update products set name = 'Renamed On Page Two' where id = (select p.id from products p join categories c on c.id = p.category_id where c.slug = @slug order by p.id offset @skip limit 1)"))
        {
            rename.Parameters.AddWithValue("slug", slug);
            rename.Parameters.AddWithValue("skip", pageSize);
            Assert.Equal(1, await rename.ExecuteNonQueryAsync());
        }

        var changed = Stopwatch.StartNew();
        using (var cached = await edge.Client.GetAsync(path))
        {
            Assert.Equal("HIT", Header(cached, "x-cache"));
            Assert.DoesNotContain("Renamed On Page Two", await cached.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // No publish purges page 2: only its TTL (3 s here, plus the one grace answer while it refetches) bounds it.
        while (!(await edge.Client.GetStringAsync(path)).Contains("Renamed On Page Two", StringComparison.Ordinal))
        {
            Assert.True(changed.Elapsed < TimeSpan.FromSeconds(8), $"the edge still serves the old page 2 {changed.Elapsed.TotalSeconds:0.0} s after the change");
            await Task.Delay(250);
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:0", "is not an http URL with a host and a fixed port")]
    [InlineData("same", "is also a public URL")]
    public async Task A_bad_management_URL_stops_the_Api_with_exit_2_naming_the_setting(string value, string expected)
    {
        var port = TestVarnish.FreePort();
        var stderr = await ApiTests.StartExpectingExit2Async(new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = Url(port, ""),
            ["Static__Management__Url"] = value == "same" ? Url(port, "") : value,
        });
        Assert.Contains("Static:Management:Url", stderr, StringComparison.Ordinal);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    private static async Task<TestVarnish> StartEdgeAsync(IsolatedServers servers, int apiPort)
    {
        var config = PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
        config.Cdn.ApiOrigins = [string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{apiPort}")];
        var s3 = new Uri(StackServers.Require(StackServers.Settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL"));
        var edge = await TestVarnish.StartWithVclAsync(VarnishConfigGenerator.Generate(config, s3, servers.Bucket.Name));

        // The Api backend is healthy once its probe (GET /stock, 400) passed: until then the edge would not fall back.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            using var stock = await edge.Client.GetAsync("/stock?ids=1");
            if (stock.StatusCode == HttpStatusCode.OK)
            {
                return edge;
            }

            if (DateTime.UtcNow > deadline)
            {
                await edge.DisposeAsync();
                Assert.Fail($"the edge never reached the Api on {apiPort}: /stock answered {(int)stock.StatusCode}");
            }

            await Task.Delay(200);
        }
    }

    private static async Task<string> BiggestCategoryAsync(IsolatedServers servers)
    {
        await using var query = servers.Database.DataSource.CreateCommand(
            "select c.slug from categories c join products p on p.category_id = c.id group by c.slug order by count(*) desc, c.slug limit 1");
        return (string)(await query.ExecuteScalarAsync())!;
    }

    private static string Url(int port, string path) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}{path}");

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(",", values) : null;
}
