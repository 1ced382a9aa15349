using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Static.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Static.IntegrationTests.Faults;

/// <summary>
/// The fault suite (<c>./test.sh --faults</c>; not part of the default run): each test starts a whole shop
/// on servers of its own, puts a paced loopback load on it (reads through the edge and the Api, admin price
/// writes), breaks one part, restores it, and checks what clients saw and that every write the Api
/// acknowledged reached the edge. Each test adds its row to the table test.sh prints.
/// The tests run one after another (one collection): their figures are measured, not contended.
/// </summary>
[Collection(Name)]
[Trait("Category", "Faults")]
public sealed class FaultTests(ITestOutputHelper output)
{
    public const string Name = "faults";

    private const int EdgeRate = 100;
    private const int ApiRate = 30;
    private const double WriteRate = 2;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);
    private static readonly string Load = string.Create(CultureInfo.InvariantCulture, $"edge {EdgeRate}/s, Api {ApiRate}/s, admin {WriteRate}/s");

    [Fact]
    public async Task PostgreSQL_stopped_for_10_s_cached_reads_carry_on_writes_get_503_and_nothing_acknowledged_is_lost()
    {
        await using var shop = await FaultShop.StartAsync();
        var products = await shop.AdminProductsAsync(8);
        await using var load = StartLoad(shop, products);
        await Task.Delay(TimeSpan.FromSeconds(5));

        load.MarkFault();
        await shop.Pg.StopAsync();
        await Task.Delay(Outage);
        await shop.Pg.StartServerAsync();
        load.MarkRestored();
        await Task.Delay(TimeSpan.FromSeconds(15));
        await load.StopAsync();

        var (edge, api, admin) = (load.Stats("edge", "during"), load.Stats("api", "during"), load.Stats("admin", "during"));
        var after = (Api: load.Stats("api", "after"), Admin: load.Stats("admin", "after"));
        var (took, missing) = await shop.WaitForEdgeAsync(load.Acknowledged, TimeSpan.FromSeconds(60));
        Report("PostgreSQL stopped 10 s", edge, api, admin, after.Admin, took, missing);

        Assert.Equal(0, edge.Errors);
        Assert.Equal(edge.Requests, edge.Ok);
        Assert.Equal(0, api.Errors);
        Assert.True(api.Stale > 0, $"no stale-marked answer while PostgreSQL was down: {api}");
        Assert.True(admin.RetryLater > 0, $"no admin write was refused with 503 + Retry-After while PostgreSQL was down: {admin}");
        Assert.Equal(0, load.FailedWrites);
        Assert.True(after.Admin.Ok > 0, $"no admin write succeeded after PostgreSQL came back: {after.Admin}");
        Assert.True(missing.Count == 0, string.Join("\n", missing) + "\n" + shop.PublisherOutput());
        foreach (var (id, price) in load.Acknowledged)
        {
            Assert.Equal(price, await shop.DatabasePriceAsync(id));
        }
    }

    [Fact]
    public async Task Redis_killed_for_10_s_clients_see_no_error_and_the_cache_and_backplane_come_back()
    {
        await using var shop = await FaultShop.StartAsync();
        var products = await shop.AdminProductsAsync(8);
        await using var load = StartLoad(shop, products);
        await Task.Delay(TimeSpan.FromSeconds(5));

        load.MarkFault();
        await shop.Redis.KillAsync();
        await Task.Delay(Outage);
        await shop.Redis.RestartAsync();
        load.MarkRestored();
        await Task.Delay(TimeSpan.FromSeconds(15));
        await load.StopAsync();

        var (edge, api, admin) = (load.Stats("edge", "during"), load.Stats("api", "during"), load.Stats("admin", "during"));
        var (took, missing) = await shop.WaitForEdgeAsync(load.Acknowledged, TimeSpan.FromSeconds(60));
        var clients = await RedisAsync(shop.Redis.Port, "client", "list");
        var keys = await RedisAsync(shop.Redis.Port, "dbsize");
        Report("Redis SIGKILLed 10 s", edge, api, admin, load.Stats("admin", "after"), took, missing,
            $"; after: {keys.Trim()} keys in L2, backplane {(Subscribed(clients) ? "subscribed" : "absent")}");

        Assert.Equal(0, edge.Errors + api.Errors + admin.Errors);
        Assert.Equal(0, load.FailedWrites + load.RefusedWrites);
        // Bounded, not waiting on a dead Redis: measured 1.4-1.5 s in fresh-clone runs (about three times the 500 ms
        // hard timeout of one Redis call; docs/faults.md), far below the client's 10 s.
        Assert.True(api.P99 < 3000, $"p99 of the Api while Redis was down: {api.P99} ms");
        Assert.True(int.Parse(keys.Trim(), CultureInfo.InvariantCulture) > 0, "nothing was written to Redis (L2) after it came back");
        Assert.True(Subscribed(clients), "the Api's backplane did not subscribe again:\n" + clients);
        Assert.True(missing.Count == 0, string.Join("\n", missing) + "\n" + shop.PublisherOutput());
    }

    [Fact]
    public Task The_S3_server_killed_mid_publish_the_live_version_stays_whole_and_the_next_publish_completes() => KilledMidPublishAsync(killStore: true);

    [Fact]
    public Task The_publisher_SIGKILLed_mid_upload_the_live_version_stays_whole_and_the_next_publish_completes() => KilledMidPublishAsync(killStore: false);

    /// <summary>
    /// A publish of about 3,000 changed objects is interrupted once uploads are under way, by killing the S3
    /// server (the publish must fail cleanly) or the publisher itself (SIGKILL). A reader checks every root
    /// the edge serves meanwhile; the next publish must complete and leave the live version whole.
    /// </summary>
    private static async Task KilledMidPublishAsync(bool killStore)
    {
        await using var shop = await FaultShop.StartAsync(products: 1500, publisher: false);
        await using var load = new PacedLoad();
        load.Read("edge", shop.Edge.Client, FaultShop.EdgePaths(100), EdgeRate);
        using var torn = new TornVersionReader(shop.Edge.Client, shop.S3);
        var reader = torn.RunAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));

        // Every product's price changes: the next publish uploads about 3,000 new objects.
        await ScalarAsync(shop, "with changed as (update products set price_amount = price_amount + 1, updated_at = now(), row_version = row_version + 1 returning 1) select count(*) from changed");
        var data = shop.S3.DataDirectory;
        var before = CountFiles(data);
        var noCdn = new Dictionary<string, string> { ["STATIC_CONFIG__cdn__kind"] = "none" };
        await using var publish = PublisherProcess.Start(shop.Settings with { EdgeUrl = null }, ["publish"], noCdn);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (CountFiles(data) < before + 200)
        {
            Assert.True(DateTime.UtcNow < deadline && !publish.HasExited, "the publish did not start uploading:\n" + publish.Output);
            await Task.Delay(20);
        }

        load.MarkFault();
        var failed = Stopwatch.StartNew();
        if (killStore)
        {
            await shop.S3.KillAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await publish.WaitForExitAsync(wait.Token);
        }
        else
        {
            await publish.KillAsync();
        }

        var failedAfter = failed.Elapsed;
        var uploadedBeforeKill = CountFiles(data) - before;
        var restarted = "";
        if (killStore)
        {
            await shop.S3.StartServerAsync();
            var removed = shop.S3.Recovered.Split('\n').Count(l => l.Contains(": removed ", StringComparison.Ordinal));
            restarted = string.Create(CultureInfo.InvariantCulture, $"; s3rver restarted, {removed} unfinished PUT(s) removed by scripts/s3rver-recover.js");
        }

        load.MarkRestored();
        await using var again = PublisherProcess.Start(shop.Settings with { EdgeUrl = null }, ["publish"], noCdn);
        var second = Stopwatch.StartNew();
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(180)))
        {
            await again.WaitForExitAsync(wait.Token);
        }

        var secondTook = second.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(3));
        await load.StopAsync();
        torn.Stop();
        await reader;

        var edge = load.Stats("edge", "during");
        var whole = await torn.CheckWholeAsync();
        var how = killStore
            ? string.Create(CultureInfo.InvariantCulture, $"publish failed cleanly (exit {publish.ExitCode}) {failedAfter.TotalSeconds:0.0} s after the kill")
            : "publisher SIGKILLed";
        FaultReport.Add(
            killStore ? "S3 server SIGKILLed mid-publish (1,500 products, every price changed)" : "publisher SIGKILLed mid-upload (1,500 products, every price changed)",
            $"edge {EdgeRate}/s + a reader checking every root it sees",
            $"edge: {edge}; roots checked: {torn.RootsChecked}, torn: {torn.Torn.Count}",
            FaultReport.Ms(edge.P99),
            string.Create(CultureInfo.InvariantCulture, $"{how} with {uploadedBeforeKill} objects uploaded{restarted}; the next publish completed in {secondTook.TotalSeconds:0.0} s (exit {again.ExitCode}); live version whole: {whole.Count == 0}"),
            torn.Torn.IsEmpty && whole.Count == 0 ? "nothing" : string.Join("; ", torn.Torn.Concat(whole).Take(3)));

        if (killStore)
        {
            Assert.True(publish.ExitCode == 1, publish.Output);
            Assert.DoesNotContain("Unhandled exception", publish.Output, StringComparison.Ordinal);
        }

        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Empty(torn.Torn);
        Assert.Empty(whole);
        Assert.True(torn.RootsChecked > 0);
        Assert.Equal(0, edge.Errors);
    }

    [Fact]
    public async Task The_publisher_SIGKILLed_mid_invalidation_and_one_of_two_publishers_killed_nothing_acknowledged_is_lost()
    {
        await using var shop = await FaultShop.StartAsync(publisher: false);
        var products = await shop.AdminProductsAsync(8);

        // An edge that accepts the purge connection and never answers: the publisher is stuck mid-invalidation.
        using var hung = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        hung.Start();
        var hungUrl = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{((IPEndPoint)hung.LocalEndpoint).Port}/");
        var stuck = shop.StartPublisher(new Dictionary<string, string> { ["STATIC_EDGE_URL"] = hungUrl });
        var survivor = shop.StartPublisher();
        await shop.WaitForSchedulersAsync(2);
        await using var load = StartLoad(shop, products);
        await Task.Delay(TimeSpan.FromSeconds(3));

        // Wait until a batch of invalidations is owed (published, not yet delivered), then kill the stuck publisher.
        var owed = await WaitForAsync(shop, "select count(*) from pending_invalidations", TimeSpan.FromSeconds(60));
        load.MarkFault();
        await stuck.KillAsync();
        await Task.Delay(Outage);
        load.MarkRestored();
        await Task.Delay(TimeSpan.FromSeconds(10));
        await load.StopAsync();

        var (edge, api, admin) = (load.Stats("edge", "during"), load.Stats("api", "during"), load.Stats("admin", "during"));
        var (took, missing) = await shop.WaitForEdgeAsync(load.Acknowledged, TimeSpan.FromSeconds(90));
        var left = await ScalarAsync(shop, "select count(*) from pending_invalidations");
        Report("publisher SIGKILLed mid-invalidation, the other of two carries on", edge, api, admin, load.Stats("admin", "after"), took, missing,
            $"; invalidations owed at the kill: {owed}, after: {left}");

        Assert.Equal(0, edge.Errors + api.Errors + admin.Errors);
        Assert.Equal(0, load.FailedWrites + load.RefusedWrites);
        Assert.True(missing.Count == 0, string.Join("\n", missing) + "\n" + shop.PublisherOutput());
        Assert.False(survivor.HasExited, survivor.Output);
    }

    [Fact]
    public async Task The_CDN_refusing_invalidations_for_good_parks_them_releases_the_outbox_and_a_retry_delivers_them()
    {
        await using var shop = await FaultShop.StartAsync(publisher: false);
        var products = await shop.AdminProductsAsync(8);
        await using var refusing = RefusingEdge.Start();
        shop.StartPublisher(new Dictionary<string, string>
        {
            ["STATIC_EDGE_URL"] = refusing.Url,
            ["STATIC_CONFIG__cdn__invalidationMaxAttempts"] = "3",
            ["STATIC_CONFIG__cdn__invalidationRetryDelay"] = "00:00:01",
            ["STATIC_CONFIG__cdn__invalidationRetryMaxDelay"] = "00:00:02",
        });
        await shop.WaitForSchedulersAsync(1);
        await using var load = StartLoad(shop, products);
        await Task.Delay(TimeSpan.FromSeconds(3));
        load.MarkFault();
        await Task.Delay(Outage);
        await load.StopAsync();

        // Parked, not lost: the batches stay listed, and the outbox holds nothing back for them.
        var parked = await WaitForAsync(shop, "select count(*) from pending_invalidations where state = 'parked'", TimeSpan.FromSeconds(60));
        await WaitForAsync(shop, "select 1 where not exists (select 1 from outbox where processed_at is null)", TimeSpan.FromSeconds(60));
        var (listed, listing) = await shop.RunPublisherAsync(["invalidations"]);
        var refusals = refusing.Requests;
        var retry = Stopwatch.StartNew();
        var (retried, retryOutput) = await shop.RunPublisherAsync(["invalidations", "--retry", "all"]);
        var retryTook = retry.Elapsed;
        var left = await ScalarAsync(shop, "select count(*) from pending_invalidations");
        var (took, missing) = await shop.WaitForEdgeAsync(load.Acknowledged, TimeSpan.FromSeconds(30));

        var (edge, api, admin) = (load.Stats("edge", "during"), load.Stats("api", "during"), load.Stats("admin", "during"));
        Report("CDN refusing every invalidation (3 attempts, 1-2 s backoff), then `publisher invalidations --retry all`", edge, api, admin, admin, took, missing,
            string.Create(CultureInfo.InvariantCulture, $"; {refusals} purges refused, {parked} batches parked, outbox released; the retry took {retryTook.TotalSeconds:0.0} s (exit {retried}), {left} batches left"));

        Assert.True(listed == 0, listing);
        Assert.Contains("parked", listing, StringComparison.Ordinal);
        Assert.True(retried == 0, retryOutput);
        Assert.Equal(0, left);
        Assert.Equal(0, edge.Errors + api.Errors + admin.Errors);
        Assert.Equal(0, load.FailedWrites + load.RefusedWrites);
        Assert.True(missing.Count == 0, string.Join("\n", missing) + "\n" + shop.PublisherOutput());
    }

    [Fact]
    public async Task Objects_deleted_behind_the_publishers_back_are_found_by_verify_and_put_back_by_repair()
    {
        await using var shop = await FaultShop.StartAsync();
        var products = await shop.AdminProductsAsync(8);
        await using var load = StartLoad(shop, products);
        await Task.Delay(TimeSpan.FromSeconds(3));

        // Stable paths and their content-addressed copies, deleted straight from the store (as a person or a
        // lifecycle rule would): products the writer does not touch, so their bytes stay the live ones.
        using var store = new HttpClient { BaseAddress = new Uri($"{shop.S3.ServiceUrl}/{shop.S3.Bucket}/") };
        var deleted = new List<string>();
        for (var id = 20; id < 26; id++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"products/{id}.json");
            var bytes = await store.GetByteArrayAsync(key);
            var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
            deleted.Add(key);
            deleted.Add($"_immutable/{sha}.json");
        }

        // (Not the home page: the writer's price changes republish it, which would put it back on its own.)
        load.MarkFault();
        foreach (var key in deleted)
        {
            using var delete = await store.DeleteAsync(key);
            Assert.True(delete.IsSuccessStatusCode, $"DELETE {key}: {delete.StatusCode}");
        }

        var (check, found) = await shop.RunPublisherAsync(["verify"]);
        var repair = Stopwatch.StartNew();
        var (repaired, repairOutput) = await shop.RunPublisherAsync(["verify", "--repair"]);
        var repairTook = repair.Elapsed;
        var (again, _) = await shop.RunPublisherAsync(["verify"]);
        load.MarkRestored();
        await Task.Delay(TimeSpan.FromSeconds(5));
        await load.StopAsync();

        var back = 0;
        foreach (var key in deleted)
        {
            using var head = await store.SendAsync(new HttpRequestMessage(HttpMethod.Head, key));
            back += head.IsSuccessStatusCode ? 1 : 0;
        }

        var (took, missing) = await shop.WaitForEdgeAsync(load.Acknowledged, TimeSpan.FromSeconds(60));
        var named = deleted.Count(k => found.Contains(k, StringComparison.Ordinal));
        var (edge, api, admin) = (load.Stats("edge", "during"), load.Stats("api", "during"), load.Stats("admin", "during"));
        Report($"{deleted.Count} objects deleted from the store behind the publisher's back, then `publisher verify` and `verify --repair`", edge, api, admin, load.Stats("admin", "after"), took, missing,
            string.Create(CultureInfo.InvariantCulture, $"; verify exit {check} naming {named} of {deleted.Count}; --repair exit {repaired} in {repairTook.TotalSeconds:0.0} s; {back} of {deleted.Count} back in the store; verify again exit {again}"));

        Assert.True(check == 1, found);
        Assert.Equal(deleted.Count, named);
        Assert.True(repaired == 0, repairOutput);
        Assert.Equal(0, again);
        Assert.Equal(deleted.Count, back);
        // A read of an object at the moment it is deleted can break off mid-body (s3rver deletes the file it is
        // streaming); any other failed read is a fault of ours.
        var otherErrors = load.Samples.Where(x => x.Name == "edge" && x.Phase == "during" && (x.Status == 0 || x.Status >= 500) && !deleted.Contains(x.Path.TrimStart('/'))).ToList();
        Assert.True(otherErrors.Count == 0, string.Join("\n", otherErrors));
        Assert.Equal(0, api.Errors + admin.Errors);
        Assert.True(missing.Count == 0, string.Join("\n", missing) + "\n" + shop.PublisherOutput());
    }

    [Fact]
    public async Task Varnish_killed_comes_back_from_stack_up_with_the_last_generated_VCL()
    {
        await using var shop = await FaultShop.StartAsync(publisher: false);
        await using var stack = await StackScript.StartAsync();
        var config = Static.Shared.Configuration.PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
        config.Cdn.ApiOrigins = [string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{shop.ApiPort}")];
        var vcl = Path.Combine(stack.LocalDir, "generated.vcl");
        await File.WriteAllTextAsync(vcl, Static.Publisher.Edge.VarnishConfigGenerator.Generate(config, new Uri(shop.S3.ServiceUrl), shop.S3.Bucket));
        var (loaded, loadOutput) = stack.Run("edge-vcl", vcl);
        Assert.True(loaded == 0, loadOutput);

        using var edge = new HttpClient { BaseAddress = new Uri(stack.EdgeUrl), Timeout = TimeSpan.FromSeconds(10) };
        await using var load = new PacedLoad();
        load.Read("edge", edge, FaultShop.EdgePaths(100), EdgeRate);
        await Task.Delay(TimeSpan.FromSeconds(3));

        load.MarkFault();
        await stack.KillVarnishAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var restart = Stopwatch.StartNew();
        var (up, upOutput) = stack.Run("up");
        var restarted = restart.Elapsed;
        load.MarkRestored();
        await Task.Delay(TimeSpan.FromSeconds(5));
        await load.StopAsync();

        var active = stack.ActiveVcl();
        var during = load.Stats("edge", "during");
        var after = load.Stats("edge", "after");
        FaultReport.Add("Varnish SIGKILLed, then scripts/stack.sh up", $"edge {EdgeRate}/s",
            $"during: {during} (no edge to answer); after: {after}",
            FaultReport.Ms(after.P99),
            string.Create(CultureInfo.InvariantCulture, $"back in {restarted.TotalSeconds:0.0} s with the {(active.Contains("Generated by `publisher edge-config`", StringComparison.Ordinal) ? "generated" : "START-UP")} VCL active"),
            "nothing (the edge holds only copies)");

        Assert.True(up == 0, upOutput);
        Assert.Contains("Generated by `publisher edge-config`", active, StringComparison.Ordinal);
        Assert.Equal(0, after.Errors);
        Assert.True(after.Ok > 0);
    }

    private static PacedLoad StartLoad(FaultShop shop, IReadOnlyDictionary<long, JsonElement> products)
    {
        var load = new PacedLoad();
        load.Read("edge", shop.Edge.Client, FaultShop.EdgePaths(100), EdgeRate);
        load.Read("api", shop.ApiClient, [.. Enumerable.Range(1, 150).Select(i => $"/products/{i}.json")], ApiRate);
        load.WritePrices(shop.Admin, products, WriteRate);
        return load;
    }

    private void Report(string fault, PhaseStats edge, PhaseStats api, PhaseStats admin, PhaseStats adminAfter, TimeSpan took, IReadOnlyList<string> missing, string extra = "")
    {
        var saw = $"edge: {edge}; Api: {api}; admin: {admin.Ok} ok, {admin.RetryLater} 503+Retry-After, {admin.Errors} errors";
        var recovery = string.Create(CultureInfo.InvariantCulture, $"admin after: {adminAfter.Ok}/{adminAfter.Requests} ok; every acknowledged write at the edge {took.TotalSeconds:0.0} s after the load stopped{extra}");
        output.WriteLine($"{fault}\n  {saw}\n  {recovery}");
        FaultReport.Add(fault, Load, saw, $"edge {FaultReport.Ms(edge.P99)}, Api {FaultReport.Ms(api.P99)}", recovery,
            missing.Count == 0 ? "nothing" : $"{missing.Count} acknowledged writes not at the edge: {string.Join("; ", missing.Take(3))}");
    }

    /// <summary>A connection of the Api's (named static-api:...) subscribed to a channel: its backplane.</summary>
    private static bool Subscribed(string clientList) =>
        clientList.Split('\n').Any(l => l.Contains("name=static-api:", StringComparison.Ordinal) && System.Text.RegularExpressions.Regex.IsMatch(l, @"\bsub=[1-9]"));

    private static int CountFiles(string dir) => Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Count() : 0;

    private static async Task<long> ScalarAsync(FaultShop shop, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(shop.Pg.SetupConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static async Task<long> WaitForAsync(FaultShop shop, string countSql, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var n = await ScalarAsync(shop, countSql);
            if (n > 0)
            {
                return n;
            }

            Assert.True(DateTime.UtcNow < deadline, $"waited {timeout} for: {countSql}\n{string.Join("\n", shop.Publishers.Select(p => p.Output))}");
            await Task.Delay(100);
        }
    }

    private static async Task<string> RedisAsync(int port, params string[] command)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true };
        foreach (var arg in new[] { "-p", port.ToString(CultureInfo.InvariantCulture) }.Concat(command))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text;
    }
}
