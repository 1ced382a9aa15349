using Microsoft.Extensions.DependencyInjection;
using Static.Api.Telemetry;
using Static.IntegrationTests.Infrastructure;

namespace Static.IntegrationTests;

/// <summary>
/// Two Api hosts in one process (as every test run has, and as a host that embeds the Api would): each
/// /metrics reports its own instruments only. .NET meters are process-wide, and an OpenTelemetry
/// MeterProvider subscribes by meter name, so without a scope filter one host's scrape also carries the
/// other host's gauges, and a gauge with the same name and tags then shows whichever callback ran last.
/// </summary>
public sealed class MetricsIsolationTests
{
    [Fact]
    public async Task Each_Api_host_exports_its_own_alerting_gauges_and_not_another_hosts()
    {
        await using var lagging = await IsolatedServers.CreateAsync();
        await using var idle = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(lagging, products: 3, categories: 1);
        await PublisherHarness.SeedAsync(idle, products: 3, categories: 1);

        await using var laggingApi = new ApiFactory(lagging.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], AdminApiTests.Tokens);
        await using var idleApi = new ApiFactory(idle.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], AdminApiTests.Tokens);
        using var laggingClient = AdminApiTests.Authorized(laggingApi);
        using var idleClient = AdminApiTests.Authorized(idleApi);
        using var laggingManagement = laggingApi.CreateManagementClient();
        using var idleManagement = idleApi.CreateManagementClient();

        // Only the lagging host's database owes a change, 42 s old, and a failed publish.
        using (var republish = await AdminApiTests.SendAsync(laggingClient, HttpMethod.Post, "/admin/republish", new { all = true }))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, republish.StatusCode);
        }

        await using (var command = lagging.Database.DataSource.CreateCommand(
            """
            update outbox set created_at = now() - interval '42 seconds';
            insert into publishes (state, trigger) values ('failed', 'test');
            """))
        {
            await command.ExecuteNonQueryAsync();
        }

        await laggingApi.Services.GetRequiredService<AlertingMetrics>().RefreshAsync(CancellationToken.None);
        await idleApi.Services.GetRequiredService<AlertingMetrics>().RefreshAsync(CancellationToken.None);

        // Scrape both, in both orders: each sees exactly one sample per gauge, its own.
        for (var round = 0; round < 2; round++)
        {
            var lag = Samples(await laggingManagement.GetStringAsync("/metrics"), "static_outbox_lag_seconds");
            var idleLag = Samples(await idleManagement.GetStringAsync("/metrics"), "static_outbox_lag_seconds");
            Assert.Single(lag);
            Assert.InRange(lag[0], 42, 120);
            Assert.Equal([0.0], idleLag);
            Assert.Equal([1.0], Samples(await laggingManagement.GetStringAsync("/metrics"), "static_publish_failed"));
            Assert.Equal([0.0], Samples(await idleManagement.GetStringAsync("/metrics"), "static_publish_failed"));
        }
    }

    /// <summary>Every sample of one metric in a Prometheus text exposition.</summary>
    private static List<double> Samples(string exposition, string name) =>
        exposition.Split('\n')
            .Where(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal))
            .Select(l => l[(l.LastIndexOf('}') is var brace and >= 0 ? brace + 1 : name.Length)..].Trim().Split(' ')[0])
            .Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
}
