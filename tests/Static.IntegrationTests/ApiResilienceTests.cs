using System.Diagnostics;
using System.Net;
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
}
