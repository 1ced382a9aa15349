using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Static.Api.Admin;
using Static.Api.Database;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Edge;
using Static.Publisher.Jobs;
using Static.Publisher.Publishing;

namespace Static.IntegrationTests;

/// <summary>
/// Admin changes through the outbox into incremental publishes: the drainer in process for what each change
/// re-renders, and real <c>publisher run</c> processes for bursts, SIGKILL and two instances.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class OutboxTests
{
    [Fact]
    public async Task Drained_changes_republish_their_dependents_both_listings_of_a_move_the_homepage_every_page_for_config_and_remove_a_deleted_page()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 60, categories: 3);
        var recorder = new RecordingCdn();
        await using var harness = await PublisherHarness.CreateAsync(servers, cdn: recorder);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        recorder.TakePaths();   // the first publish's
        var drainer = ActivatorUtilities.CreateInstance<OutboxDrainer>(harness.Services);
        var store = new AdminStore(new PrimaryDatabase(servers.Database.DataSource, owned: false));

        // A category move A -> B: the product's pages and page 1 of both listings (every category fits one page).
        var (id, from) = await FirstAsync(servers, "select id, category_id from products where featured_rank is null order by id limit 1");
        var to = await ScalarAsync<long>(servers, $"select min(id) from categories where id <> {from}");
        var (fromSlug, toSlug) = (await SlugAsync(servers, from), await SlugAsync(servers, to));
        await UpdateAsync(store, id, p => p with { CategoryId = to });
        Assert.Equal(1, (await drainer.DrainAsync(CancellationToken.None)).Publishes);
        var moved = recorder.TakePaths();
        Assert.Superset(new HashSet<string> { $"/products/{id}.html", $"/products/{id}.json", $"/categories/{fromSlug}/1.json", $"/categories/{fromSlug}/1.html", $"/categories/{toSlug}/1.json", $"/categories/{toSlug}/1.html" }, moved);
        Assert.DoesNotContain("/index.html", moved);   // not featured: the homepage did not change
        Assert.Contains($"\"id\":{id},", await BodyAsync(harness, $"categories/{toSlug}/1.json"), StringComparison.Ordinal);
        Assert.DoesNotContain($"\"id\":{id},", await BodyAsync(harness, $"categories/{fromSlug}/1.json"), StringComparison.Ordinal);

        // A product becoming featured: the homepage (and its JSON) change with it.
        await UpdateAsync(store, id, p => p with { FeaturedRank = 1 });
        await drainer.DrainAsync(CancellationToken.None);
        Assert.Superset(new HashSet<string> { "/", "/index.html", "/home.json", $"/products/{id}.json" }, recorder.TakePaths());
        Assert.Contains($"\"id\":{id},", await BodyAsync(harness, "home.json"), StringComparison.Ordinal);

        // A site-config change republishes every page.
        var config = (await store.GetConfigAsync(CancellationToken.None))!;
        var changed = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(config.Document.GetRawText())!;
        changed["banner"] = JsonSerializer.SerializeToElement(new { text = "Outbox sale" });
        Assert.IsType<AdminOutcome<ConfigOutput>.Done>(await store.SetConfigAsync(config.Version, JsonSerializer.SerializeToElement(changed), CancellationToken.None));
        await drainer.DrainAsync(CancellationToken.None);
        var everything = await PublishTests.ReadAllEntriesAsync(harness);
        Assert.Superset(everything.Keys.Where(p => p.EndsWith(".html", StringComparison.Ordinal)).ToHashSet(), recorder.TakePaths());   // every page shows the banner
        Assert.Equal(
            await ScalarAsync<long>(servers, "select count(*) from artifacts where dependency_keys @> array['config']"),
            await ScalarAsync<int>(servers, "select artifacts_uploaded + artifacts_unchanged from publishes order by version desc limit 1"));   // rendered: every config dependent
        Assert.True(await ScalarAsync<bool>(servers, "select bool_and(dependency_keys @> array['config']) from artifacts where path like '%.html'"));

        // A delete: the page leaves the manifest and the store, and is invalidated.
        Assert.IsType<AdminOutcome<long>.Done>(await store.DeleteProductAsync(id, null, CancellationToken.None));
        await drainer.DrainAsync(CancellationToken.None);
        Assert.Superset(new HashSet<string> { $"/products/{id}.html", $"/products/{id}.json", "/home.json" }, recorder.TakePaths());
        var after = await PublishTests.ReadAllEntriesAsync(harness);
        Assert.DoesNotContain($"/products/{id}.html", after.Keys);
        Assert.Null(await harness.S3.GetAsync($"products/{id}.html", CancellationToken.None));

        // Republish requests: scoped to a key (its dependents are rendered again, nothing changed, nothing
        // uploaded), then everything (a full render).
        var other = await ScalarAsync<long>(servers, "select min(id) from products");
        Assert.IsType<AdminOutcome<long>.Done>(await store.RequestRepublishAsync(new RepublishInput(null, null, [$"product:{other}"]), CancellationToken.None));
        await drainer.DrainAsync(CancellationToken.None);
        Assert.Equal(
            await ScalarAsync<long>(servers, $"select count(*) from artifacts where dependency_keys @> array['product:{other}']"),
            await ScalarAsync<int>(servers, "select artifacts_uploaded + artifacts_unchanged from publishes order by version desc limit 1"));
        Assert.Equal(0, await ScalarAsync<int>(servers, "select artifacts_uploaded from publishes order by version desc limit 1"));
        Assert.IsType<AdminOutcome<long>.Done>(await store.RequestRepublishAsync(new RepublishInput(true, null, null), CancellationToken.None));
        await drainer.DrainAsync(CancellationToken.None);
        Assert.True(await ScalarAsync<bool>(servers, "select full_render and artifacts_unchanged = artifacts_total from publishes order by version desc limit 1"));

        Assert.Equal(0L, await ScalarAsync<long>(servers, "select count(*) from outbox where processed_at is null or published_version is null"));
    }

    [Fact]
    public async Task A_burst_of_200_updates_over_2_s_coalesces_into_few_publishes_and_every_update_lands()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 50, categories: 3);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        await using var publisher = PublisherProcess.Start(servers);
        await WaitForSchedulersAsync(servers, publisher, 1);

        var store = new AdminStore(new PrimaryDatabase(servers.Database.DataSource, owned: false));
        var ids = await IdsAsync(servers);
        var last = new Dictionary<long, string>();
        var started = DateTime.UtcNow;
        for (var i = 0; i < 200; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"Burst {i}");
            await UpdateAsync(store, ids[i % ids.Count], p => p with { Name = name });
            last[ids[i % ids.Count]] = name;
            var due = started.AddMilliseconds(10 * (i + 1));
            if (due > DateTime.UtcNow)
            {
                await Task.Delay(due - DateTime.UtcNow);
            }
        }

        var burst = DateTime.UtcNow - started;
        await WaitForEmptyOutboxAsync(servers, publisher, TimeSpan.FromSeconds(60));
        var publishes = await ScalarAsync<long>(servers, "select count(*) from publishes where trigger = 'outbox' and state = 'succeeded'");
        var bound = (long)Math.Ceiling(burst.TotalSeconds / 0.2) + 2;
        Assert.True(publishes >= 1 && publishes <= bound, $"{publishes} publishes for a {burst.TotalSeconds:0.00} s burst (bound {bound})");
        foreach (var (id, name) in last)
        {
            Assert.Contains(JsonSerializer.Serialize(name), await BodyAsync(harness, $"products/{id}.json"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SIGKILL_while_draining_loses_no_acknowledged_change_and_nothing_partial_becomes_live()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 400, categories: 4);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var store = new AdminStore(new PrimaryDatabase(servers.Database.DataSource, owned: false));
        var ids = await IdsAsync(servers);

        long killed;
        await using (var first = PublisherProcess.Start(servers))
        {
            await WaitForSchedulersAsync(servers, first, 1);
            // A config change makes the drain re-render and upload every page: long enough to be killed in.
            var config = (await store.GetConfigAsync(CancellationToken.None))!;
            var changed = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(config.Document.GetRawText())!;
            changed["banner"] = JsonSerializer.SerializeToElement(new { text = "Killed sale" });
            Assert.IsType<AdminOutcome<ConfigOutput>.Done>(await store.SetConfigAsync(null, JsonSerializer.SerializeToElement(changed), CancellationToken.None));
            for (var i = 0; i < 20; i++)
            {
                await UpdateAsync(store, ids[i], p => p with { Name = string.Create(CultureInfo.InvariantCulture, $"Survivor {i}") });
            }

            killed = await WaitForAsync(servers, first, "select version from publishes where trigger = 'outbox' and state = 'running' limit 1", TimeSpan.FromSeconds(30));
            await Task.Delay(300);   // uploads in flight
            await first.KillAsync();
        }

        Assert.Equal("running", await ScalarAsync<string>(servers, $"select state from publishes where version = {killed}"));
        await using (var second = PublisherProcess.Start(servers))
        {
            await WaitForEmptyOutboxAsync(servers, second, TimeSpan.FromSeconds(90));
        }

        // Versions strictly increase with time; the killed run never went live.
        var versions = await ListAsync(servers, "select version from publishes order by started_at, version");
        Assert.Equal(versions.Order(), versions);
        var live = await ScalarAsync<long>(servers, "select max(version) from publishes where state = 'succeeded'");
        Assert.True(live > killed);
        var root = await PublishTests.ReadRootAsync(harness);
        Assert.Equal(live, root.Version);

        // Every acknowledged change is live, and every live entry's object is complete.
        for (var i = 0; i < 20; i++)
        {
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"\"Survivor {i}\""), await BodyAsync(harness, $"products/{ids[i]}.json"), StringComparison.Ordinal);
        }

        Assert.Contains("Killed sale", await BodyAsync(harness, "config.json"), StringComparison.Ordinal);
        foreach (var (path, sha) in await PublishTests.ReadAllEntriesAsync(harness))
        {
            var stored = await harness.S3.GetAsync(path[1..], CancellationToken.None);
            Assert.True(stored is not null, $"{path} is in the live manifest but not in the store");
            Assert.Equal(sha, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stored.Body)));
        }
    }

    [Fact]
    public async Task Two_publisher_instances_never_publish_at_once_publish_each_change_once_and_one_carries_on_when_the_other_dies()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 50, categories: 3);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var store = new AdminStore(new PrimaryDatabase(servers.Database.DataSource, owned: false));
        var ids = await IdsAsync(servers);

        await using var a = PublisherProcess.Start(servers);
        await using var b = PublisherProcess.Start(servers);
        await WaitForSchedulersAsync(servers, a, 2);
        for (var i = 0; i < 60; i++)
        {
            await UpdateAsync(store, ids[i % ids.Count], p => p with { Name = string.Create(CultureInfo.InvariantCulture, $"Pair {i}") });
            await Task.Delay(50);
        }

        await WaitForEmptyOutboxAsync(servers, a, TimeSpan.FromSeconds(60));
        await using (var overlap = servers.Database.DataSource.CreateCommand(
            """
            select count(*) from publishes x join publishes y on x.version < y.version
            where tstzrange(x.started_at, coalesce(x.finished_at, 'infinity')) && tstzrange(y.started_at, coalesce(y.finished_at, 'infinity'))
            """))
        {
            Assert.Equal(0L, (long)(await overlap.ExecuteScalarAsync())!);
        }

        Assert.Equal(0L, await ScalarAsync<long>(servers, "select count(*) from outbox where published_version is null"));

        await a.KillAsync();
        for (var i = 0; i < 10; i++)
        {
            await UpdateAsync(store, ids[i], p => p with { Name = string.Create(CultureInfo.InvariantCulture, $"After kill {i}") });
        }

        await WaitForEmptyOutboxAsync(servers, b, TimeSpan.FromSeconds(60));
        for (var i = 0; i < 10; i++)
        {
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"\"After kill {i}\""), await BodyAsync(harness, $"products/{ids[i]}.json"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_admin_update_through_the_Api_is_visible_at_the_edge_after_the_publisher_service_publishes_it()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 40, categories: 2);
        await using (var harness = await PublisherHarness.CreateAsync(servers))
        {
            await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        }

        var apiPort = TestVarnish.FreePort();
        await using var api = await ApiProcess.StartAsync(servers.Database.ConnectionString, apiPort,
            new Dictionary<string, string> { ["Static__Admin__WriteTokens"] = AdminApiTests.WriteToken });
        var config = Static.Shared.Configuration.PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
        config.Cdn.ApiOrigins = [string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{apiPort}")];
        var s3 = new Uri(StackServers.Require(StackServers.Settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL"));
        await using var edge = await TestVarnish.StartWithVclAsync(VarnishConfigGenerator.Generate(config, s3, servers.Bucket.Name));
        await using var publisher = PublisherProcess.Start(servers, new Dictionary<string, string>
        {
            ["STATIC_CONFIG__cdn__kind"] = "varnish",
            ["STATIC_EDGE_URL"] = edge.Client.BaseAddress!.ToString(),
        });
        await WaitForSchedulersAsync(servers, publisher, 1);

        var id = await ScalarAsync<long>(servers, "select min(id) from products");
        Assert.DoesNotContain("Seen At The Edge", await edge.Client.GetStringAsync($"/products/{id}.json"), StringComparison.Ordinal);
        using (var cached = await edge.Client.GetAsync($"/products/{id}.json"))
        {
            Assert.Equal("HIT", cached.Headers.GetValues("x-cache").Single());
        }

        using var admin = new HttpClient { BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{apiPort}")) };
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminApiTests.WriteToken);
        var product = JsonDocument.Parse(await admin.GetStringAsync($"/admin/products/{id}")).RootElement;
        using var update = await AdminApiTests.SendAsync(admin, HttpMethod.Put, $"/admin/products/{id}", new
        {
            name = "Seen At The Edge",
            priceAmount = product.GetProperty("priceAmount").GetDecimal(),
            currency = product.GetProperty("currency").GetString(),
            categoryId = product.GetProperty("categoryId").GetInt64(),
        });
        Assert.Equal(System.Net.HttpStatusCode.OK, update.StatusCode);
        var publishId = JsonDocument.Parse(await update.Content.ReadAsStringAsync()).RootElement.GetProperty("publishId").GetInt64();

        // Generous: this proves the path, not its speed (bench/run.sh freshness measures that); a loaded machine
        // running the whole suite has taken more than 20 s here.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await edge.Client.GetStringAsync($"/products/{id}.json")).Contains("Seen At The Edge", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the change did not reach the edge in 60 s\n" + publisher.Output);
            await Task.Delay(20);
        }

        // Served by the edge from the store (not the Api fallback), and the request reads as published.
        using (var served = await edge.Client.GetAsync($"/products/{id}.json"))
        {
            Assert.Equal("s3", served.Headers.GetValues("x-origin").Single());
        }

        await WaitForEmptyOutboxAsync(servers, publisher, TimeSpan.FromSeconds(20));
        var status = JsonDocument.Parse(await admin.GetStringAsync($"/admin/publishes/{publishId}")).RootElement;
        Assert.Equal("published", status.GetProperty("state").GetString());
        Assert.Equal("succeeded", status.GetProperty("publish").GetProperty("state").GetString());
    }

    internal static async Task UpdateAsync(AdminStore store, long id, Func<ProductInput, ProductInput> change)
    {
        var p = (await store.GetProductAsync(id, CancellationToken.None))!;
        var input = change(new ProductInput(p.Name, p.Slug, p.Description, p.PriceAmount, p.Currency, p.CategoryId, [.. p.ImageUrls], p.FeaturedRank));
        var outcome = await store.UpdateProductAsync(id, null, input, input.Slug!, CancellationToken.None);
        Assert.True(outcome is AdminOutcome<ProductOutput>.Done, outcome.ToString());
    }

    private static async Task WaitForSchedulersAsync(IsolatedServers servers, PublisherProcess process, int count) =>
        await WaitForAsync(servers, process, string.Create(CultureInfo.InvariantCulture, $"select count(*) from qrtz_scheduler_state having count(*) >= {count}"), TimeSpan.FromSeconds(60));

    private static async Task WaitForEmptyOutboxAsync(IsolatedServers servers, PublisherProcess process, TimeSpan timeout) =>
        await WaitForAsync(servers, process, "select 1::bigint where not exists (select 1 from outbox where processed_at is null)", timeout);

    /// <summary>Polls until the query returns a row; fails with the publisher's output otherwise.</summary>
    private static async Task<long> WaitForAsync(IsolatedServers servers, PublisherProcess process, string sql, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using (var command = servers.Database.DataSource.CreateCommand(sql))
            {
                if (await command.ExecuteScalarAsync() is long value)
                {
                    return value;
                }
            }

            Assert.False(process.HasExited, "publisher run exited:\n" + process.Output);
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {sql}\n{process.Output}");
            await Task.Delay(50);
        }
    }

    private static async Task<string> BodyAsync(PublisherHarness harness, string key) =>
        Encoding.UTF8.GetString((await harness.S3.GetAsync(key, CancellationToken.None))!.Body);

    private static async Task<string> SlugAsync(IsolatedServers servers, long category) => await ScalarAsync<string>(servers, $"select slug from categories where id = {category}");

    private static async Task<List<long>> IdsAsync(IsolatedServers servers) => await ListAsync(servers, "select id from products order by id");

    private static async Task<List<long>> ListAsync(IsolatedServers servers, string sql)
    {
        await using var command = servers.Database.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var list = new List<long>();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetInt64(0));
        }

        return list;
    }

    private static async Task<(long, long)> FirstAsync(IsolatedServers servers, string sql)
    {
        await using var command = servers.Database.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), sql);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task<T> ScalarAsync<T>(IsolatedServers servers, string sql)
    {
        await using var command = servers.Database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A CDN that takes everything and remembers the paths it was asked to invalidate.</summary>
    private sealed class RecordingCdn : ICdnInvalidator
    {
        private readonly List<string> paths = [];

        public string Description => "recording";

        public Task<int> InvalidateAsync(long version, InvalidationRequest request, CancellationToken cancellationToken)
        {
            lock (paths)
            {
                paths.AddRange(request.Paths);
            }

            return Task.FromResult(request.Paths.Count);
        }

        public HashSet<string> TakePaths()
        {
            lock (paths)
            {
                var taken = paths.ToHashSet(StringComparer.Ordinal);
                paths.Clear();
                return taken;
            }
        }
    }
}
