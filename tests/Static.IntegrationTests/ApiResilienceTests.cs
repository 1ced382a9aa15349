using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SkiaSharp;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Cli;

namespace Static.IntegrationTests;

/// <summary>Servers stopped under the Api: throwaway PostgreSQL and Redis instances of the test's own.</summary>
[Collection(TimingSensitive.Name)]
public sealed class ApiResilienceTests
{
    [Fact]
    public async Task With_PostgreSQL_down_cached_paths_are_served_stale_and_uncached_ones_get_503()
    {
        await using var pg = await ThrowawayPostgres.StartAsync();
        var settings = StackServers.Settings with { Database = pg.SetupConnectionString };
        var error = new StringWriter();
        Assert.True(await PublisherCli.RunAsync(["seed", "--products", "10", "--categories", "2"], TextWriter.Null, error, settings, PublisherHarness.ConfigPath) == 0, error.ToString());

        // L1 only, one second: after that a read must go to the database, and fail-safe is what answers.
        await using var api = new ApiFactory(pg.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], new Dictionary<string, string?>
        {
            ["Static:Api:L1Duration"] = "00:00:01",
            ["Static:Api:L2Enabled"] = "false",
        });
        using var client = api.CreateClient();
        using var fresh = await client.GetAsync("/products/1.json");
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.False(fresh.Headers.Contains("x-static-stale"));
        var bytes = await fresh.Content.ReadAsByteArrayAsync();

        await pg.StopAsync();
        await Task.Delay(1500);

        using var stale = await client.GetAsync("/products/1.json");
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal("1", stale.Headers.GetValues("x-static-stale").Single());
        Assert.Equal(bytes, await stale.Content.ReadAsByteArrayAsync());

        using var uncached = await client.GetAsync("/products/2.json");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, uncached.StatusCode);
        Assert.NotNull(uncached.Headers.RetryAfter);
        Assert.Equal("application/problem+json", uncached.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task With_Redis_paused_or_stopped_reads_carry_on_within_the_timeout()
    {
        await using var redis = await ThrowawayRedis.StartAsync();
        await using var api = await ApiTests.SeededApiAsync(products: 30);
        await using var factory = new ApiFactory(api.Servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12]) { Redis = redis.Endpoint };
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/products/1.json")).StatusCode);

        await redis.PauseAsync();
        var paused = Stopwatch.StartNew();
        using (var response = await client.GetAsync("/products/2.json"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await client.GetAsync("/products/3.json"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        paused.Stop();
        Assert.True(paused.Elapsed < TimeSpan.FromSeconds(3), $"two reads with Redis paused took {paused.Elapsed}");

        await redis.StopAsync();
        var stopped = Stopwatch.StartNew();
        using (var response = await client.GetAsync("/products/4.json"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(3), $"a read with Redis stopped took {stopped.Elapsed}");
        using var management = factory.CreateManagementClient();
        using var ready = await management.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    /// <summary>
    /// PostgreSQL stopped for 10 s under a writer that keeps going: every admin route answers 503 with Retry-After
    /// (never 500) while it is down, so do reads of uncached paths; after it starts again the same write succeeds
    /// without restarting the Api, and every write that was acknowledged (2xx) is in the database with its outbox row.
    /// </summary>
    [Fact]
    public async Task With_PostgreSQL_down_admin_routes_answer_503_with_Retry_After_and_nothing_acknowledged_is_lost()
    {
        await using var pg = await ThrowawayPostgres.StartAsync();
        var settings = StackServers.Settings with { Database = pg.SetupConnectionString };
        var error = new StringWriter();
        Assert.True(await PublisherCli.RunAsync(["seed", "--products", "10", "--categories", "2"], TextWriter.Null, error, settings, PublisherHarness.ConfigPath) == 0, error.ToString());

        await using var api = new ApiFactory(pg.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], new Dictionary<string, string?>(AdminApiTests.Tokens)
        {
            ["Static:Api:L1Duration"] = "00:00:01",
            ["Static:Api:L2Enabled"] = "false",
        });
        using var client = AdminApiTests.Authorized(api);
        var categoryId = await ScalarAsync<long>(pg, "select min(id) from categories");
        var product = JsonDocument.Parse(await client.GetStringAsync(new Uri("/admin/products/1", UriKind.Relative))).RootElement;

        // One writer, sequential, through the whole outage: renames product 1 and creates products.
        var acknowledged = new ConcurrentQueue<(string Kind, long Id, string Name, long PublishId)>();
        var attempted = new ConcurrentQueue<string>();
        var failures = new ConcurrentQueue<string>();
        using var stopWriter = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var n = 0; !stopWriter.IsCancellationRequested; n++)
            {
                var name = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Outage write {n}");
                attempted.Enqueue(name);
                var create = n % 2 == 1;
                using var response = create
                    ? await client.PostAsync(new Uri("/admin/products", UriKind.Relative), Json(new { name, priceAmount = 5, currency = "EUR", categoryId }))
                    : await client.PutAsync(new Uri("/admin/products/1", UriKind.Relative), Json(ProductBody(product, name)));
                var text = await response.Content.ReadAsStringAsync();
                if (response.IsSuccessStatusCode)
                {
                    var body = JsonDocument.Parse(text).RootElement;
                    acknowledged.Enqueue((create ? "created" : "updated", body.GetProperty("id").GetInt64(), name, body.GetProperty("publishId").GetInt64()));
                }
                else if (response.StatusCode != HttpStatusCode.ServiceUnavailable || response.Headers.RetryAfter is null)
                {
                    failures.Enqueue($"{(create ? "POST" : "PUT")} {name}: {(int)response.StatusCode} {text}");
                }

                await Task.Delay(20);
            }
        });

        await Task.Delay(500);
        await pg.StopAsync();
        var down = Stopwatch.StartNew();

        // Every admin route in the route table, with a body it would accept.
        var routes = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/admin", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .ToList();
        Assert.True(routes.Count >= 15, $"only {routes.Count} admin routes found");
        foreach (var (method, pattern) in routes)
        {
            var path = System.Text.RegularExpressions.Regex.Replace(pattern, "{[^}]+}", "2");
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = BodyFor(method, pattern, product, categoryId) };
            using var response = await client.SendAsync(request);
            await ExpectUnavailableAsync(response, $"{method} {path}");
        }

        // Reads that are not cached: 503 with Retry-After too.
        using (var anonymous = api.CreateClient())
        {
            foreach (var path in new[] { "/products/3.json", "/products/4.html", "/stock?ids=3,4", "/manifest.json", "/categories/nope/2.json" })
            {
                using var response = await anonymous.GetAsync(new Uri(path, UriKind.Relative));
                await ExpectUnavailableAsync(response, "GET " + path);
            }
        }

        // Down for 10 s in all (the issue's figure), the writer still writing.
        await Task.Delay(TimeSpan.FromSeconds(10) - down.Elapsed is { Ticks: > 0 } rest ? rest : TimeSpan.Zero);
        await pg.StartServerAsync();

        // The Api was not restarted: the same write succeeds once PostgreSQL is back (503 means: retry).
        var back = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var retry = await client.PostAsync(new Uri("/admin/categories", UriKind.Relative), Json(new { name = "After the outage", slug = "after-the-outage" }));
            status = retry.StatusCode;
            Assert.True(status is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable, $"after restart: {(int)status} {await retry.Content.ReadAsStringAsync()}");
            if (status == HttpStatusCode.ServiceUnavailable)
            {
                Assert.True(back.Elapsed < TimeSpan.FromSeconds(20), "still 503 20 s after PostgreSQL started again");
                await Task.Delay(250);
            }
        }
        while (status != HttpStatusCode.Created);

        var acknowledgedBefore = acknowledged.Count;
        var deadline = Stopwatch.StartNew();
        while (acknowledged.Count < acknowledgedBefore + 4 && deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        await stopWriter.CancelAsync();
        await writer;
        Assert.Empty(failures);
        Assert.True(acknowledged.Count >= acknowledgedBefore + 4, "the writer did not get going again after the restart");

        // Nothing acknowledged is missing: every acknowledged product is there with its outbox row, and product 1 has
        // the last acknowledged name, or a later one whose answer was lost with the connection (committed, never acknowledged).
        var acks = acknowledged.ToList();
        foreach (var (kind, id, name, publishId) in acks)
        {
            Assert.True(await ScalarAsync<bool>(pg, $"select exists (select 1 from outbox where id = {publishId} and entity_type = 'product' and entity_id = {id} and change = '{kind}')"),
                $"acknowledged {kind} of product {id} ({name}) has no outbox row {publishId}");
            if (kind == "created")
            {
                Assert.Equal(name, await ScalarAsync<string>(pg, $"select name from products where id = {id}"));
            }
        }

        var lastRename = acks.Last(a => a.Kind == "updated").Name;
        var current = await ScalarAsync<string>(pg, "select name from products where id = 1");
        var order = attempted.ToList();
        Assert.True(order.IndexOf(current) >= order.IndexOf(lastRename), $"product 1 is '{current}', older than the last acknowledged '{lastRename}'");
        Assert.Equal(1L, await ScalarAsync<long>(pg, "select count(*) from categories where slug = 'after-the-outage'"));
    }

    private static async Task ExpectUnavailableAsync(HttpResponseMessage response, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what} with PostgreSQL down: {(int)response.StatusCode} {text}");
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, $"{what}: no Retry-After in seconds");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static HttpContent? BodyFor(string method, string pattern, JsonElement product, long categoryId) => (method, pattern) switch
    {
        ("GET" or "DELETE", _) => null,
        (_, "/admin/products/{id:long}/images") => Images(),
        (_, "/admin/products/{id:long}/stock") => Json(new { quantity = 3 }),
        (_, "/admin/products" or "/admin/products/{id:long}") => Json(ProductBody(product, "During the outage")),
        (_, "/admin/categories" or "/admin/categories/{id:long}") => Json(new { name = "During the outage" }),
        (_, "/admin/config") => Json(new { banner = "During the outage" }),
        (_, "/admin/republish") => Json(new { all = true }),
        _ => throw new InvalidOperationException($"no body for {method} {pattern}: a new admin route? Add it here."),
    };

    private static object ProductBody(JsonElement product, string name) => new
    {
        name,
        priceAmount = product.GetProperty("priceAmount").GetDecimal(),
        currency = product.GetProperty("currency").GetString(),
        categoryId = product.GetProperty("categoryId").GetInt64(),
    };

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static MultipartFormDataContent Images()
    {
        using var bitmap = new SKBitmap(64, 64);
        bitmap.Erase(SKColors.SteelBlue);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 90);
        var part = new ByteArrayContent(data.ToArray());
        part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new MultipartFormDataContent { { part, "files", "outage.png" } };
    }

    private static async Task<T> ScalarAsync<T>(ThrowawayPostgres pg, string sql)
    {
        await using var connection = new NpgsqlConnection(pg.SetupConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
