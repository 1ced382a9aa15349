using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Npgsql;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Static.Api.Admin;
using Static.Api.Artifacts;
using Static.IntegrationTests.Infrastructure;
using Static.Shared.Artifacts;

namespace Static.IntegrationTests;

/// <summary>The read-through tiers on real PostgreSQL and Redis: stampedes, evictions across instances, races.</summary>
[Collection(TimingSensitive.Name)]
public sealed class ApiCacheTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Five_hundred_requests_for_one_cold_key_cost_one_database_read_with_protection_and_more_without(bool protection)
    {
        var counter = new CountingSource.Counter { Delay = TimeSpan.FromMilliseconds(200) };
        await using var api = await ApiTests.SeededApiAsync(
            // L1 outlives the test: under a loaded machine 500 requests can take longer than the default 10 s,
            // and an expiry is a legitimate second read, not a stampede.
            settings: new Dictionary<string, string?> { ["Static:Api:StampedeProtection"] = protection ? "true" : "false", ["Static:Api:L1Duration"] = "00:05:00", ["Static:Api:L2Duration"] = "00:05:00" },
            services: s => CountingSource.Replace(s, counter));
        using var client = api.Factory.CreateClient();
        using (var management = api.Factory.CreateManagementClient())
        {
            await management.GetAsync("/healthz");   // start the host before the barrier
        }

        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = Enumerable.Range(0, 500).Select(async _ =>
        {
            await go.Task;
            using var response = await client.GetAsync("/products/7.json");
            return (int)response.StatusCode;
        }).ToList();
        go.SetResult();
        var statuses = await Task.WhenAll(requests);

        Assert.All(statuses, s => Assert.Equal(200, s));
        if (protection)
        {
            Assert.Equal(1, counter.Reads);
        }
        else
        {
            Assert.True(counter.Reads > 1, $"without protection every waiting request reads; saw {counter.Reads}");
        }
    }

    [Fact]
    public async Task An_eviction_on_one_instance_reaches_the_other_instances_memory()
    {
        // L1 lives five minutes: only the backplane can make instance B see the change within the test.
        var settings = new Dictionary<string, string?> { ["Static:Api:L1Duration"] = "00:05:00" };
        await using var api = await ApiTests.SeededApiAsync(settings: settings);
        await using var other = new ApiFactory(api.Servers.Database.ConnectionString, api.Factory.CacheName, settings);
        using var a = api.Factory.CreateClient();
        using var b = other.CreateClient();
        Assert.DoesNotContain("Evicted Everywhere", await a.GetStringAsync("/products/3.json"), StringComparison.Ordinal);
        Assert.DoesNotContain("Evicted Everywhere", await b.GetStringAsync("/products/3.json"), StringComparison.Ordinal);

        await using (var update = api.Servers.Database.DataSource.CreateCommand("update products set name = 'Evicted Everywhere' where id = 3"))
        {
            await update.ExecuteNonQueryAsync();
        }

        // Still cached on both.
        Assert.DoesNotContain("Evicted Everywhere", await b.GetStringAsync("/products/3.json"), StringComparison.Ordinal);

        await api.Factory.Services.GetRequiredService<ArtifactCache>().EvictKeyAsync(DependencyKeys.Product(3), CancellationToken.None);
        Assert.Contains("Evicted Everywhere", await a.GetStringAsync("/products/3.json"), StringComparison.Ordinal);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        string seen;
        do
        {
            seen = await b.GetStringAsync("/products/3.json");
            if (seen.Contains("Evicted Everywhere", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Contains("Evicted Everywhere", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_read_that_started_before_an_eviction_does_not_leave_the_old_value_cached()
    {
        var counter = new CountingSource.Counter { Gate = new SemaphoreSlim(0) };
        await using var api = await ApiTests.SeededApiAsync(services: s => CountingSource.Replace(s, counter));
        using var client = api.Factory.CreateClient();

        // The read starts, loads the old row, and is held before it returns.
        var slow = client.GetStringAsync("/products/4.json");
        await counter.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await using (var update = api.Servers.Database.DataSource.CreateCommand("update products set name = 'After The Eviction' where id = 4"))
        {
            await update.ExecuteNonQueryAsync();
        }

        await api.Factory.Services.GetRequiredService<ArtifactCache>().EvictKeyAsync(DependencyKeys.Product(4), CancellationToken.None);
        counter.Gate.Release(100);
        Assert.DoesNotContain("After The Eviction", await slow, StringComparison.Ordinal);   // it read before the change

        Assert.Contains("After The Eviction", await client.GetStringAsync("/products/4.json"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_read_in_flight_is_still_cached_when_other_instances_fill_their_caches_meanwhile()
    {
        // Instance A's read of /products/7.json is held; meanwhile instance B (same deployment) fills its cache
        // with other paths, which FusionCache announces on the backplane, and instance C of another deployment
        // (another cache name) does the same. Neither is an eviction: A's answer must still be cached.
        var counter = new CountingSource.Counter { Gate = new SemaphoreSlim(0) };
        await using var api = await ApiTests.SeededApiAsync(
            settings: new Dictionary<string, string?> { ["Static:Api:L1Duration"] = "00:05:00", ["Static:Api:L2Duration"] = "00:05:00" },
            services: s => CountingSource.Replace(s, counter));
        await using var sameDeployment = new ApiFactory(api.Servers.Database.ConnectionString, api.Factory.CacheName);
        await using var otherDeployment = new ApiFactory(api.Servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12]);
        using var a = api.Factory.CreateClient();
        using var b = sameDeployment.CreateClient();
        using var c = otherDeployment.CreateClient();
        using (var bManagement = sameDeployment.CreateManagementClient())
        using (var cManagement = otherDeployment.CreateManagementClient())
        {
            await bManagement.GetAsync("/healthz");
            await cManagement.GetAsync("/healthz");
        }

        var heard = 0;
        api.Factory.Services.GetRequiredService<ZiggyCreatures.Caching.Fusion.IFusionCache>().Events.Backplane.MessageReceived += (_, _) => Interlocked.Increment(ref heard);

        var held = a.GetStringAsync("/products/7.json");
        await counter.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var path in new[] { "/products/3.json", "/products/4.json", "/products/5.json" })
        {
            (await b.GetAsync(path)).Dispose();
            (await c.GetAsync(path)).Dispose();
        }

        // B's notifications reach A (the backplane works); then the held read finishes.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Volatile.Read(ref heard) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "instance A never heard instance B on the backplane");
            await Task.Delay(20);
        }

        counter.Gate.Release(100);
        await held;
        Assert.Equal(1, counter.Reads);
        await a.GetStringAsync("/products/7.json");
        Assert.Equal(1, counter.Reads);   // served from A's cache: no second read
    }

    [Fact]
    public async Task An_L1_hit_counts_once_in_the_tier_metric_however_many_tags_its_entry_carries()
    {
        await using var api = await ApiTests.SeededApiAsync();
        using var client = api.Factory.CreateClient();
        using var management = api.Factory.CreateManagementClient();
        // A product (a few tags) and the home page's data (a tag per featured product): each now cached in L1.
        await client.GetStringAsync("/products/7.json");
        await client.GetStringAsync("/home.json");
        var before = await L1HitsAsync();

        for (var i = 0; i < 20; i++)
        {
            await client.GetStringAsync("/products/7.json");
            await client.GetStringAsync("/home.json");
        }

        // FusionCache also looks each tag up on a hit, and raises a hit for each lookup: those are not answers.
        await Task.Delay(1_000);   // the exporter caches a scrape briefly
        Assert.Equal(before + 40, await L1HitsAsync());

        async Task<double> L1HitsAsync()
        {
            var line = (await management.GetStringAsync("/metrics")).Split('\n')
                .SingleOrDefault(l => l.StartsWith("static_api_cache_hits_total{", StringComparison.Ordinal) && l.Contains("tier=\"l1\"", StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [Fact]
    public async Task An_L1_hit_looks_up_none_of_its_entrys_eviction_tags()
    {
        await using var api = await ApiTests.SeededApiAsync();
        using var client = api.Factory.CreateClient();
        var home = await client.GetAsync("/home.json");
        var tags = home.Headers.GetValues(SurrogateKeys.Header).Single().Split(',');
        Assert.True(tags.Length > 5, "the home page's data should depend on several products: " + string.Join(' ', tags));

        // Every lookup FusionCache makes for a hit raises a memory hit, its tag entries' included.
        var fusion = api.Factory.Services.GetRequiredService<ZiggyCreatures.Caching.Fusion.IFusionCache>();
        var lookups = 0;
        fusion.Events.Memory.Hit += (_, _) => Interlocked.Increment(ref lookups);
        for (var i = 0; i < 20; i++)
        {
            (await client.GetAsync("/home.json")).Dispose();
        }

        Assert.Equal(20, Volatile.Read(ref lookups));
    }

    [Fact]
    public async Task The_tag_index_names_each_cached_path_under_its_tags_until_an_eviction_takes_them()
    {
        await using var api = await ApiTests.SeededApiAsync();
        using var client = api.Factory.CreateClient();
        await client.GetStringAsync("/products/5.json");
        await client.GetStringAsync("/home.json");
        var redis = api.Factory.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var key = $"{api.Factory.CacheName}:tag:{DependencyKeys.Product(5)}";
        Assert.Contains("/products/5.json", (await redis.SetMembersAsync(key)).Select(m => (string)m!));
        Assert.True(await redis.KeyTimeToLiveAsync(key) > TimeSpan.FromMinutes(10), "the set must outlive the entries it names");

        await using (var update = api.Servers.Database.DataSource.CreateCommand("update products set name = 'Taken From The Index' where id = 5"))
        {
            await update.ExecuteNonQueryAsync();
        }

        await api.Factory.Services.GetRequiredService<ArtifactCache>().EvictKeyAsync(DependencyKeys.Product(5), CancellationToken.None);
        Assert.Empty(await redis.SetMembersAsync(key));
        Assert.Contains("Taken From The Index", await client.GetStringAsync("/products/5.json"), StringComparison.Ordinal);
        // Read again, so named again.
        Assert.Contains("/products/5.json", (await redis.SetMembersAsync(key)).Select(m => (string)m!));
    }

    [Fact]
    public async Task The_cache_tiers_and_the_app_share_one_Redis_multiplexer()
    {
        // The client name goes in the connection string, so that every multiplexer built from it, ours or one a
        // cache tier opened for itself, shows under it in CLIENT LIST.
        var name = "mux-" + Guid.NewGuid().ToString("N")[..12];
        var endpoint = StackServers.Require(StackServers.Settings.Redis, "STATIC_REDIS");
        await using var api = await ApiTests.SeededApiAsync(settings: new Dictionary<string, string?> { ["Static:Redis"] = endpoint + ",name=" + name });
        using var client = api.Factory.CreateClient();
        await client.GetStringAsync("/products/2.json");                    // L2 writes (in the background)
        using var redis = await ConnectionMultiplexer.ConnectAsync(endpoint + ",allowAdmin=true");
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await server.KeysAsync(pattern: "*" + api.Factory.CacheName + ":artifact:*").AnyAsync())
        {
            Assert.True(DateTime.UtcNow < deadline, "L2 never wrote the answer to Redis");
            await Task.Delay(50);
        }

        // Only after L2 has written: the eviction removes that entry again.
        await api.Factory.Services.GetRequiredService<ArtifactCache>().EvictKeyAsync(DependencyKeys.Product(2), CancellationToken.None);   // backplane
        using (var management = api.Factory.CreateManagementClient())
        {
            await management.GetAsync("/readyz");                           // the app's own use (the probe)
        }

        // One multiplexer is one interactive and one subscription connection; L2 and the backplane on
        // multiplexers of their own would add theirs under the same name.
        var ours = (await server.ClientListAsync()).Where(c => c.Name == name).ToList();
        Assert.Equal(1, ours.Count(c => c.ClientType == ClientType.Normal));
        Assert.Equal(1, ours.Count(c => c.ClientType == ClientType.PubSub));
        Assert.Equal(2, ours.Count);
    }

    [Fact]
    public async Task The_second_eviction_after_an_admin_write_comes_when_the_clock_passes_the_delay()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var counter = new CountingSource.Counter();
        var settings = new Dictionary<string, string?> { ["Static:Api:L1Duration"] = "00:05:00", ["Static:Api:L2Duration"] = "00:05:00" };
        await using var api = await ApiTests.SeededApiAsync(settings: settings, services: s =>
        {
            CountingSource.Replace(s, counter);
            s.RemoveAll<TimeProvider>();
            s.AddSingleton<TimeProvider>(clock);
        });
        using var client = api.Factory.CreateClient();
        await client.GetStringAsync("/products/5.json");

        await api.Factory.Services.GetRequiredService<AdminCacheEviction>().AfterCommitAsync([DependencyKeys.Product(5)], CancellationToken.None);
        // The first eviction is done: this read goes to the database and caches what it read again (as a miss
        // on another instance that read just before the commit would).
        await client.GetStringAsync("/products/5.json");
        var reads = counter.Reads;

        clock.Advance(AdminCacheEviction.SecondEvictionDelay - TimeSpan.FromMilliseconds(1));
        await Task.Delay(200);   // real time for a (wrong) eviction to land, if one were scheduled on the real clock
        await client.GetStringAsync("/products/5.json");
        Assert.Equal(reads, counter.Reads);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await client.GetStringAsync("/products/5.json");
            if (counter.Reads > reads)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the second eviction never came after the clock passed the delay");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task An_unknown_product_id_costs_one_query_and_the_Api_remembers_it_whatever_the_query_string()
    {
        var counter = new CountingSource.Counter();
        await using var api = await ApiTests.SeededApiAsync(
            settings: new Dictionary<string, string?> { ["Static:Api:NotFoundDuration"] = "00:05:00" },
            services: s => CountingSource.Replace(s, counter));

        // The catalog read for one unknown id, on a data source of its own that logs each command it executes.
        var commands = new CommandLog();
        using (var logging = LoggerFactory.Create(b => b.AddProvider(commands).SetMinimumLevel(LogLevel.Debug)))
        {
            var builder = new NpgsqlDataSourceBuilder(api.Servers.Database.ConnectionString);
            builder.UseLoggerFactory(logging);
            await using var dataSource = builder.Build();
            var reader = new ArtifactDataReader(dataSource);
            var config = api.Factory.Services.GetRequiredService<Static.Shared.Configuration.PublishConfig>();
            Assert.Null(await reader.LoadAsync(ArtifactPath.ProductJson(987654), config, CancellationToken.None));
            Assert.Null(await reader.LoadAsync(ArtifactPath.CategoryJson(0, "no-such-category", 1), config, CancellationToken.None));
            Assert.NotNull(await reader.LoadAsync(ArtifactPath.ProductJson(7), config, CancellationToken.None));
        }

        var executed = commands.Executed;
        Assert.True(executed.Count >= 3, "the command log saw nothing: " + string.Join(" | ", commands.All));
        Assert.Contains("from products where id = any", executed[0], StringComparison.Ordinal);
        Assert.Contains("from categories where slug", executed[1], StringComparison.Ordinal);
        Assert.DoesNotContain(executed.Take(2), c => c.Contains("site_config", StringComparison.Ordinal));

        // Through the Api: one read, however many requests and query strings, while the 404 is remembered.
        using var client = api.Factory.CreateClient();
        for (var i = 0; i < 50; i++)
        {
            using var response = await client.GetAsync($"/products/987654.json?cb={i}");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        }

        Assert.Equal(1, counter.Reads);
    }

    /// <summary>Collects what Npgsql logs as it executes commands (Debug "Executing command ...").</summary>
    private sealed class CommandLog : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> messages = new();

        public IReadOnlyList<string> All => [.. messages];

        public IReadOnlyList<string> Executed => [.. messages.Where(m => m.StartsWith("Executing", StringComparison.Ordinal))];

        public ILogger CreateLogger(string categoryName) => categoryName == "Npgsql.Command" ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            messages.Enqueue(formatter(state, exception));

        public void Dispose()
        {
        }
    }
}


/// <summary>Wraps the real database source: counts reads, and can delay or hold them.</summary>
internal sealed class CountingSource(IArtifactSource inner, CountingSource.Counter counter) : IArtifactSource
{
    public async Task<CachedArtifact> LoadAsync(ArtifactPath path, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref counter.ReadCount);
        var result = await inner.LoadAsync(path, cancellationToken);
        counter.Started.TrySetResult();
        if (counter.Delay > TimeSpan.Zero)
        {
            await Task.Delay(counter.Delay, cancellationToken);
        }

        if (counter.Gate is { } gate)
        {
            await gate.WaitAsync(cancellationToken);
        }

        return result;
    }

    public static void Replace(IServiceCollection services, Counter counter)
    {
        services.RemoveAll<IArtifactSource>();
        services.AddSingleton<IArtifactSource>(sp => new CountingSource(ActivatorUtilities.CreateInstance<DatabaseArtifactSource>(sp), counter));
    }

    internal sealed class Counter
    {
        internal int ReadCount;

        public int Reads => Volatile.Read(ref ReadCount);

        public TimeSpan Delay { get; init; }

        public SemaphoreSlim? Gate { get; init; }

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
