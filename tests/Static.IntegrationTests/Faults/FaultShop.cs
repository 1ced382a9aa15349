using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Cli;
using Static.Publisher.Edge;
using Microsoft.Extensions.DependencyInjection;
using Static.Shared.Configuration;

namespace Static.IntegrationTests.Faults;

/// <summary>
/// A whole shop on servers of the fault test's own, so it may stop or kill any of them: PostgreSQL, Redis
/// and s3rver started for it, the Api as a real process, a Varnish edge running the generated VCL, and
/// <c>publisher run</c> (outbox drainer and scheduler) purging that edge. Seeded and published once.
/// </summary>
internal sealed class FaultShop : IAsyncDisposable
{
    public const string AdminToken = "fault-suite-write-token-0123456789abcdef";

    private readonly List<PublisherProcess> publishers = [];

    private FaultShop(ThrowawayPostgres pg, ThrowawayRedis redis, ThrowawayS3 s3)
    {
        Pg = pg;
        Redis = redis;
        S3 = s3;
    }

    public ThrowawayPostgres Pg { get; }

    public ThrowawayRedis Redis { get; }

    public ThrowawayS3 S3 { get; }

    public ApiProcess Api { get; private set; } = null!;

    public int ApiPort { get; private set; }

    public TestVarnish Edge { get; private set; } = null!;

    public HttpClient ApiClient { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public StackSettings Settings => StackServers.Settings with
    {
        Database = Pg.SetupConnectionString,
        Redis = Redis.Endpoint,
        S3ServiceUrl = S3.ServiceUrl,
        S3Bucket = S3.Bucket,
        EdgeUrl = Edge?.Client.BaseAddress?.ToString(),
    };

    public IReadOnlyList<PublisherProcess> Publishers => publishers;

    /// <summary>The last lines of every publisher process's output, for failure messages.</summary>
    public string PublisherOutput() => string.Join("\n---\n", publishers.Select(p => string.Join('\n', p.Output.Split('\n').TakeLast(60))));

    /// <summary>
    /// Starts everything. The Api keeps answers briefly (L1 2 s, L2 4 s), so a 10 s outage of PostgreSQL
    /// outlasts them and what clients get is fail-safe (stale-marked) or 503, as in a long outage.
    /// </summary>
    public static async Task<FaultShop> StartAsync(int products = 200, bool publisher = true)
    {
        var pg = await ThrowawayPostgres.StartAsync();
        var redis = await ThrowawayRedis.StartAsync();
        var s3 = await ThrowawayS3.StartAsync();
        var shop = new FaultShop(pg, redis, s3);
        var error = new StringWriter();
        var seed = await PublisherCli.RunAsync(["seed", "--products", products.ToString(CultureInfo.InvariantCulture), "--categories", "4"], TextWriter.Null, error, shop.Settings, PublisherHarness.ConfigPath);
        Assert.True(seed == 0, "seed failed: " + error);
        var publish = await PublisherCli.RunAsync(["publish"], TextWriter.Null, error, shop.Settings, PublisherHarness.ConfigPath,
            services => services.AddSingleton<ICdnInvalidator>(new NoCdnInvalidator()));
        Assert.True(publish == 0, "first publish failed: " + error);

        shop.ApiPort = TestVarnish.FreePort();
        shop.Api = await shop.StartApiAsync();
        var config = PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
        config.Cdn.ApiOrigins = [string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{shop.ApiPort}")];
        shop.Edge = await TestVarnish.StartWithVclAsync(VarnishConfigGenerator.Generate(config, new Uri(s3.ServiceUrl), s3.Bucket));
        shop.ApiClient = new HttpClient { BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{shop.ApiPort}")), Timeout = TimeSpan.FromSeconds(10) };
        shop.Admin = new HttpClient { BaseAddress = shop.ApiClient.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        shop.Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        if (publisher)
        {
            shop.StartPublisher();
            await shop.WaitForSchedulersAsync(1);
        }

        return shop;
    }

    public Task<ApiProcess> StartApiAsync() => ApiProcess.StartAsync(Pg.ConnectionString, ApiPort, new Dictionary<string, string>
    {
        ["Static__Redis"] = Redis.Endpoint,
        ["Static__Admin__WriteTokens"] = AdminToken,
        ["Static__Api__L1Duration"] = "00:00:02",
        ["Static__Api__L2Duration"] = "00:00:04",
    });

    /// <summary><c>publisher run</c> against this shop, purging its edge.</summary>
    public PublisherProcess StartPublisher(IReadOnlyDictionary<string, string>? environment = null)
    {
        var env = new Dictionary<string, string>
        {
            ["STATIC_CONFIG__cdn__kind"] = "varnish",
            ["STATIC_EDGE_URL"] = Edge.Client.BaseAddress!.ToString(),
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        var process = PublisherProcess.Start(Settings, ["run"], env);
        publishers.Add(process);
        return process;
    }

    /// <summary>
    /// One publisher command as its own process (as an operator runs it), purging this shop's edge (or
    /// <paramref name="edgeUrl"/>); its exit code and output.
    /// </summary>
    public async Task<(int Exit, string Output)> RunPublisherAsync(IReadOnlyList<string> arguments, string? edgeUrl = null)
    {
        await using var process = PublisherProcess.Start(Settings, arguments, new Dictionary<string, string>
        {
            ["STATIC_CONFIG__cdn__kind"] = "varnish",
            ["STATIC_EDGE_URL"] = edgeUrl ?? Edge.Client.BaseAddress!.ToString(),
            ["Logging__LogLevel__Default"] = "Warning",
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        await Task.Delay(100);   // the last lines of output
        return (process.ExitCode, process.Output);
    }

    /// <summary>
    /// Waits until <paramref name="count"/> publisher services have their scheduler running (Quartz checks
    /// in to PostgreSQL): before that a fault would hit their start-up, not their work.
    /// </summary>
    public async Task WaitForSchedulersAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            await using (var connection = new Npgsql.NpgsqlConnection(Pg.SetupConnectionString + ";Pooling=false"))
            {
                await connection.OpenAsync();
                await using var query = new Npgsql.NpgsqlCommand("select count(*) from qrtz_scheduler_state", connection);
                if ((long)(await query.ExecuteScalarAsync())! >= count)
                {
                    return;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"{count} publisher services did not start in 90 s:\n{PublisherOutput()}");
            await Task.Delay(200);
        }
    }

    /// <summary>The admin view of <paramref name="count"/> products (what the writer sends back with a new price).</summary>
    public async Task<IReadOnlyDictionary<long, JsonElement>> AdminProductsAsync(int count)
    {
        var result = new Dictionary<long, JsonElement>();
        for (long id = 1; result.Count < count; id++)
        {
            result[id] = JsonDocument.Parse(await Admin.GetStringAsync(string.Create(CultureInfo.InvariantCulture, $"/admin/products/{id}"))).RootElement.Clone();
        }

        return result;
    }

    /// <summary>
    /// Waits until the edge serves every acknowledged price; returns how long that took, or the ids still
    /// wrong at the deadline (the "lost" column).
    /// </summary>
    public async Task<(TimeSpan Took, IReadOnlyList<string> Missing)> WaitForEdgeAsync(IReadOnlyDictionary<long, decimal> acknowledged, TimeSpan timeout)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var pending = acknowledged.ToDictionary();
        var wrong = new List<string>();
        while (true)
        {
            wrong.Clear();
            foreach (var (id, price) in pending.ToList())
            {
                var edgePrice = await EdgePriceAsync(id);
                if (edgePrice == price)
                {
                    pending.Remove(id);
                }
                else
                {
                    wrong.Add(string.Create(CultureInfo.InvariantCulture, $"product {id}: edge {edgePrice?.ToString(CultureInfo.InvariantCulture) ?? "unreadable"}, acknowledged {price}"));
                }
            }

            if (pending.Count == 0 || watch.Elapsed > timeout)
            {
                return (watch.Elapsed, wrong.ToList());
            }

            await Task.Delay(200);
        }
    }

    public async Task<decimal?> EdgePriceAsync(long id)
    {
        try
        {
            using var doc = JsonDocument.Parse(await Edge.Client.GetStringAsync(string.Create(CultureInfo.InvariantCulture, $"/products/{id}.json")));
            return doc.RootElement.GetProperty("price").GetDecimal();
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>The database's price for a product (what the catalog holds, acknowledged or not).</summary>
    public async Task<decimal> DatabasePriceAsync(long id)
    {
        await using var connection = new Npgsql.NpgsqlConnection(Pg.SetupConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var query = new Npgsql.NpgsqlCommand("select price_amount from products where id = @id", connection);
        query.Parameters.AddWithValue("id", id);
        return (decimal)(await query.ExecuteScalarAsync())!;
    }

    /// <summary>Paths a reader of the edge cycles through: JSON and HTML of the first products, the home page and the root.</summary>
    public static IReadOnlyList<string> EdgePaths(int products) =>
        [.. Enumerable.Range(1, products).SelectMany(i => new[] { $"/products/{i}.json", "/home.json", "/manifest.json" })];

    public async ValueTask DisposeAsync()
    {
        // Each publisher's whole output, kept beside the report for whoever reads a failed row.
        var logs = Path.Combine(Path.GetDirectoryName(FaultReport.FilePath)!, "logs");
        Directory.CreateDirectory(logs);
        foreach (var publisher in publishers)
        {
            var id = publisher.Id;
            await publisher.DisposeAsync();
            await File.WriteAllTextAsync(Path.Combine(logs, string.Create(CultureInfo.InvariantCulture, $"publisher-{DateTime.UtcNow:HHmmss}-{id}.log")), publisher.Output);
        }

        ApiClient?.Dispose();
        Admin?.Dispose();
        if (Edge is not null)
        {
            await Edge.DisposeAsync();
        }

        if (Api is not null)
        {
            await Api.DisposeAsync();
        }

        await S3.DisposeAsync();
        await Redis.DisposeAsync();
        await Pg.DisposeAsync();
    }
}
