using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Static.IntegrationTests.Infrastructure;

namespace Static.IntegrationTests;

/// <summary>The admin API in process on real PostgreSQL and Redis: credentials, validation, outbox rows, eviction.</summary>
public sealed class AdminApiTests
{
    public const string WriteToken = "test-write-token-0123456789abcdef";
    public const string ReadToken = "test-read-token-0123456789abcdef0";

    private static readonly string[] BadPaths = ["/etc/passwd"];

    public static Dictionary<string, string?> Tokens => new() { ["Static:Admin:WriteTokens"] = WriteToken, ["Static:Admin:ReadTokens"] = ReadToken };

    [Fact]
    public async Task Every_admin_route_in_the_route_table_refuses_a_request_without_a_valid_credential()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await using var api = new ApiFactory(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], Tokens);
        using var client = api.CreateClient();
        var routes = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/admin", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .ToList();
        Assert.True(routes.Count >= 14, $"only {routes.Count} admin routes found");

        foreach (var (method, pattern) in routes)
        {
            var path = System.Text.RegularExpressions.Regex.Replace(pattern, "{[^}]+}", "1");
            foreach (var authorization in new[] { null, "Bearer wrong-token-wrong-token-wrong-token", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + WriteToken)) })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonBody("{}") };
                if (authorization is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
                }

                using var response = await client.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} with {authorization ?? "no credential"}: {(int)response.StatusCode}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }

            // The read token reads, and cannot write.
            using var read = new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonBody("{}") };
            read.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ReadToken);
            using var readResponse = await client.SendAsync(read);
            if (method == "GET")
            {
                Assert.NotEqual(HttpStatusCode.Forbidden, readResponse.StatusCode);
                Assert.NotEqual(HttpStatusCode.Unauthorized, readResponse.StatusCode);
            }
            else
            {
                Assert.True(readResponse.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} with the read token: {(int)readResponse.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Validation_answers_name_the_field_and_conflicts_stale_versions_and_size_get_their_status()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 5, categories: 2);
        await using var api = new ApiFactory(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], Tokens);
        using var client = Authorized(api);
        var categoryId = await ScalarAsync<long>(servers, "select min(id) from categories");

        // 400 naming the field.
        await ExpectProblemAsync(client, HttpMethod.Post, "/admin/products", new { name = "", priceAmount = 5, currency = "EUR", categoryId }, 400, "name");
        await ExpectProblemAsync(client, HttpMethod.Post, "/admin/products", new { name = "Ok", priceAmount = -1, currency = "EUR", categoryId }, 400, "priceAmount");
        await ExpectProblemAsync(client, HttpMethod.Post, "/admin/products", new { name = "Ok", priceAmount = 1, currency = "euro", categoryId }, 400, "currency");
        await ExpectProblemAsync(client, HttpMethod.Post, "/admin/products", new { name = "Ok", slug = "Bad Slug", priceAmount = 1, currency = "EUR", categoryId }, 400, "slug");
        await ExpectProblemAsync(client, HttpMethod.Post, "/admin/products", new { name = "Ok", priceAmount = "cheap", currency = "EUR", categoryId }, 400, "priceAmount");
        await ExpectProblemAsync(client, HttpMethod.Post, "/admin/products", new { name = "Ok", priceAmount = 1, currency = "EUR", categoryId, colour = "red" }, 400, "colour");
        await ExpectProblemAsync(client, HttpMethod.Put, "/admin/products/1/stock", new { quantity = -3 }, 400, "quantity");
        await ExpectProblemAsync(client, HttpMethod.Post, "/admin/products", new { name = "Nul\u0000Name", priceAmount = 1, currency = "EUR", categoryId }, 400, "name");
        await ExpectProblemAsync(client, HttpMethod.Put, "/admin/config", new { banner = new { text = "nul \u0000 here" } }, 400, "body");
        await ExpectProblemAsync(client, HttpMethod.Post, "/admin/republish", new { }, 400, "all");
        await ExpectProblemAsync(client, HttpMethod.Post, "/admin/republish", new { paths = BadPaths }, 400, "paths");

        // 422 unknown category, 404 unknown product, 409 slug clash.
        await ExpectProblemAsync(client, HttpMethod.Post, "/admin/products", new { name = "Orphan", priceAmount = 1, currency = "EUR", categoryId = 999_999 }, 422, "categoryId");
        await ExpectProblemAsync(client, HttpMethod.Put, "/admin/products/999999", new { name = "Nobody", priceAmount = 1, currency = "EUR", categoryId }, 404, null);
        var takenSlug = await ScalarAsync<string>(servers, "select slug from products order by id limit 1");
        await ExpectProblemAsync(client, HttpMethod.Post, "/admin/products", new { name = "Clash", slug = takenSlug, priceAmount = 1, currency = "EUR", categoryId }, 409, null);
        await ExpectProblemAsync(client, HttpMethod.Delete, $"/admin/categories/{categoryId}", null, 409, null);   // it has products

        // Create, then optimistic concurrency: a stale If-Match gets 412 and changes nothing.
        using var created = await SendAsync(client, HttpMethod.Post, "/admin/products", new { name = "Admin Lamp", priceAmount = 19.99m, currency = "EUR", categoryId });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var product = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var id = product.GetProperty("id").GetInt64();
        Assert.Equal("admin-lamp", product.GetProperty("slug").GetString());
        var etag = created.Headers.ETag!.Tag;
        using (var update = await SendAsync(client, HttpMethod.Put, $"/admin/products/{id}", new { name = "Admin Lamp II", priceAmount = 21m, currency = "EUR", categoryId }, etag))
        {
            Assert.Equal(HttpStatusCode.OK, update.StatusCode);
            Assert.NotEqual(etag, update.Headers.ETag!.Tag);
        }

        await ExpectProblemAsync(client, HttpMethod.Put, $"/admin/products/{id}", new { name = "Lost update", priceAmount = 1, currency = "EUR", categoryId }, 412, null, etag);
        Assert.Equal("Admin Lamp II", await ScalarAsync<string>(servers, $"select name from products where id = {id}"));

        // 413 past api.adminMaxBodyBytes (64 KiB), whatever the body says.
        var huge = new { name = "Big", description = new string('x', 70_000), priceAmount = 1, currency = "EUR", categoryId };
        await ExpectProblemAsync(client, HttpMethod.Post, "/admin/products", huge, 413, null);

        // Every write above that succeeded left exactly one outbox row; failures left none.
        Assert.Equal(2L, await ScalarAsync<long>(servers, "select count(*) from outbox"));
    }

    [Fact]
    public async Task A_write_commits_its_outbox_row_and_evicts_the_cached_answer_and_stock_never_enters_the_outbox()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 5, categories: 2);
        await using var api = new ApiFactory(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], Tokens);
        using var client = Authorized(api);
        var id = await ScalarAsync<long>(servers, "select min(id) from products");

        Assert.DoesNotContain("Evicted Name", await client.GetStringAsync($"/products/{id}.json"), StringComparison.Ordinal);   // now cached
        using var current = await client.GetAsync($"/admin/products/{id}");
        var body = JsonDocument.Parse(await current.Content.ReadAsStringAsync()).RootElement;
        using var update = await SendAsync(client, HttpMethod.Put, $"/admin/products/{id}", new
        {
            name = "Evicted Name",
            priceAmount = body.GetProperty("priceAmount").GetDecimal(),
            currency = body.GetProperty("currency").GetString(),
            categoryId = body.GetProperty("categoryId").GetInt64(),
        }, current.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var publishId = JsonDocument.Parse(await update.Content.ReadAsStringAsync()).RootElement.GetProperty("publishId").GetInt64();

        Assert.Contains("Evicted Name", await client.GetStringAsync($"/products/{id}.json"), StringComparison.Ordinal);
        Assert.Equal($"product {id} updated", await ScalarAsync<string>(servers, $"select entity_type || ' ' || entity_id || ' ' || change from outbox where id = {publishId}"));
        using (var status = await client.GetAsync($"/admin/publishes/{publishId}"))
        {
            Assert.Equal("pending", JsonDocument.Parse(await status.Content.ReadAsStringAsync()).RootElement.GetProperty("state").GetString());
        }

        // Stock: evicted at once, no outbox row.
        Assert.Contains($"\"{id}\":", await client.GetStringAsync($"/stock?ids={id}"), StringComparison.Ordinal);
        using (var stock = await SendAsync(client, HttpMethod.Put, $"/admin/products/{id}/stock", new { quantity = 4242 }))
        {
            Assert.Equal(HttpStatusCode.OK, stock.StatusCode);
        }

        Assert.Contains($"\"{id}\":4242", await client.GetStringAsync($"/stock?ids={id}"), StringComparison.Ordinal);
        Assert.Equal(1L, await ScalarAsync<long>(servers, "select count(*) from outbox"));
    }

    [Fact]
    public async Task Alerting_metrics_report_outbox_lag_owed_invalidations_and_failed_publishes()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 5, categories: 2);
        await using var api = new ApiFactory(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], Tokens);
        using var client = Authorized(api);
        var id = await ScalarAsync<long>(servers, "select min(id) from products");
        using (var stock = await SendAsync(client, HttpMethod.Post, "/admin/republish", new { keys = new[] { $"product:{id}" } }))
        {
            Assert.Equal(HttpStatusCode.Accepted, stock.StatusCode);
        }

        await using (var command = servers.Database.DataSource.CreateCommand(
            """
            update outbox set created_at = now() - interval '42 seconds';
            insert into publishes (state, trigger) values ('failed', 'test');
            insert into pending_invalidations (version, paths, attempts) select max(version), '{/x.json}', 3 from publishes;
            insert into pending_invalidations (version, paths, attempts, state, parked_at) select max(version), '{/y.json}', 8, 'parked', now() from publishes;
            """))
        {
            await command.ExecuteNonQueryAsync();
        }

        await api.Services.GetRequiredService<Static.Api.Telemetry.AlertingMetrics>().RefreshAsync(CancellationToken.None);
        using var management = api.CreateManagementClient();
        var metrics = (await management.GetStringAsync("/metrics")).Split('\n');
        double Value(string name) => double.Parse(metrics.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal)).Split(' ').Last(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(Value("static_outbox_lag_seconds"), 42, 120);
        Assert.Equal(1, Value("static_outbox_pending"));
        Assert.Equal(1, Value("static_invalidations_pending"));
        Assert.Equal(1, Value("static_invalidations_failing"));
        Assert.Equal(1, Value("static_invalidations_parked"));
        Assert.Equal(1, Value("static_publish_failed"));
    }

    public static HttpClient Authorized(ApiFactory api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", WriteToken);
        return client;
    }

    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, object? body, string? ifMatch = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonBody(JsonSerializer.Serialize(body));
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await client.SendAsync(request);
    }

    private static async Task ExpectProblemAsync(HttpClient client, HttpMethod method, string path, object? body, int status, string? field, string? ifMatch = null)
    {
        using var response = await SendAsync(client, method, path, body, ifMatch);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{method} {path}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (field is not null)
        {
            var problem = JsonDocument.Parse(text).RootElement;
            var named = problem.TryGetProperty("errors", out var errors) ? errors.EnumerateObject().Select(p => p.Name).ToList() : [problem.GetProperty("field").GetString()!];
            Assert.Contains(field, named);
        }
    }

    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<T> ScalarAsync<T>(IsolatedServers servers, string sql)
    {
        await using var command = servers.Database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
