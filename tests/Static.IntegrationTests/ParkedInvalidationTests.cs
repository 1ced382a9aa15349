using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Static.Api.Admin;
using Static.Api.Database;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Cli;
using Static.Publisher.Edge;
using Static.Publisher.Jobs;
using Static.Publisher.Publishing;
using Static.Shared.Configuration;

namespace Static.IntegrationTests;

/// <summary>
/// Invalidations the CDN refuses for good, against the local CloudFront endpoint (<see cref="FakeCloudFront"/>)
/// told to refuse: capped attempts with backoff, then parked (outbox rows released, listed), and
/// <c>publisher invalidations --retry ID</c> once the endpoint accepts again.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class ParkedInvalidationTests
{
    private const int MaxAttempts = 3;
    private static readonly XNamespace Ns = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

    [Fact]
    public async Task A_batch_the_CDN_keeps_refusing_is_retried_with_backoff_parked_after_the_cap_releases_its_change_and_is_delivered_by_retry()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 20, categories: 2);
        await using var endpoint = await FakeCloudFront.StartAsync();
        var cdn = CloudFront(endpoint);
        // Backoff 2 s (each wait 1-2 s with jitter): long enough that an immediate drain finds the batch not due.
        await using var harness = await PublisherHarness.CreateAsync(servers, cdn: cdn, configure: c =>
        {
            c.Cdn.InvalidationMaxAttempts = MaxAttempts;
            c.Cdn.InvalidationRetryDelay = TimeSpan.FromSeconds(2);
            c.Cdn.InvalidationRetryMaxDelay = TimeSpan.FromSeconds(2);
        });
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var drainer = ActivatorUtilities.CreateInstance<OutboxDrainer>(harness.Services);
        var store = new AdminStore(new PrimaryDatabase(servers.Database.DataSource, owned: false));

        // The CDN refuses (AccessDenied: an account problem, retried up to the cap) and an admin change is drained.
        endpoint.Refusal = (403, "AccessDenied");
        endpoint.Requests.Clear();
        var product = await ScalarAsync<long>(servers, "select min(id) from products");
        await OutboxTests.UpdateAsync(store, product, p => p with { Name = "Refused at the edge" });
        var outboxId = await ScalarAsync<long>(servers, "select max(id) from outbox");
        var first = await drainer.DrainAsync(CancellationToken.None);
        Assert.Equal(1, first.Publishes);
        var version = await ScalarAsync<long>(servers, "select max(version) from publishes where state = 'succeeded'");
        Assert.Single(endpoint.Requests);
        Assert.Equal((1, "pending"), await BatchStateAsync(servers, version));
        // Published (the store has it), waiting for the invalidation: not processed, and not published again.
        Assert.True(await ScalarAsync<bool>(servers, $"select processed_at is null and published_version = {version} from outbox where id = {outboxId}"));
        Assert.Contains("Refused at the edge", await BodyAsync(harness, $"products/{product}.json"), StringComparison.Ordinal);

        // Not due yet: another drain publishes nothing and sends nothing.
        var early = await drainer.DrainAsync(CancellationToken.None);
        Assert.Equal(0, early.Publishes);
        Assert.Single(endpoint.Requests);

        // Drains carry on (as the service's poll does) until the batch is parked, at the cap, not before.
        var watch = Stopwatch.StartNew();
        while (await ScalarAsync<bool>(servers, $"select processed_at is null from outbox where id = {outboxId}"))
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the change is still held back after {watch.Elapsed.TotalSeconds:0} s ({endpoint.Requests.Count} requests)");
            await Task.Delay(100);
            Assert.Equal(0, (await drainer.DrainAsync(CancellationToken.None)).Publishes);
        }

        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(MaxAttempts - 1) - TimeSpan.FromMilliseconds(500), $"{MaxAttempts} attempts in {watch.Elapsed.TotalSeconds:0.0} s: the backoff was not honoured");
        Assert.Equal(MaxAttempts, endpoint.Requests.Count);
        Assert.Single(endpoint.Requests.Select(CallerReference).Distinct());   // the same invalidation every time
        Assert.Equal((MaxAttempts, "parked"), await BatchStateAsync(servers, version));
        Assert.True(await ScalarAsync<bool>(servers, $"select published_version = {version} and last_error is null from outbox where id = {outboxId}"));
        Assert.Equal(1L, (await new Static.Shared.Publishes.PublishesStore(servers.Database.DataSource).ReadHealthAsync(CancellationToken.None)).InvalidationsParked);

        // Listed, as a table and as JSON.
        var batchId = await ScalarAsync<long>(servers, $"select id from pending_invalidations where version = {version}");
        var paths = await ScalarAsync<int>(servers, $"select cardinality(paths) from pending_invalidations where id = {batchId}");
        var (code, table, _) = await CliAsync(servers, cdn, "invalidations");
        Assert.Equal(PublisherCli.ExitOk, code);
        var line = Assert.Single(table.Split('\n'), l => l.TrimStart().StartsWith(batchId.ToString(CultureInfo.InvariantCulture) + " ", StringComparison.Ordinal));
        Assert.Contains("parked", line, StringComparison.Ordinal);
        Assert.Contains("AccessDenied", line, StringComparison.Ordinal);
        Assert.Contains("--retry", table, StringComparison.Ordinal);
        var (_, json, _) = await CliAsync(servers, cdn, "invalidations", "--json");
        var row = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray());
        Assert.Equal(batchId, row.GetProperty("id").GetInt64());
        Assert.Equal(version, row.GetProperty("version").GetInt64());
        Assert.Equal("parked", row.GetProperty("state").GetString());
        Assert.Equal(MaxAttempts, row.GetProperty("attempts").GetInt32());
        Assert.Equal(paths, row.GetProperty("paths").GetInt32());

        // A retry while the CDN still refuses: attempts reset, one request, pending again; exit code 1.
        var (refused, refusedOut, _) = await CliAsync(servers, cdn, "invalidations", "--retry", batchId.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(PublisherCli.ExitFailed, refused);
        Assert.Contains("refused again", refusedOut, StringComparison.Ordinal);
        Assert.Equal(MaxAttempts + 1, endpoint.Requests.Count);
        Assert.Equal((1, "pending"), await BatchStateAsync(servers, version));

        // The CDN accepts again: the retry delivers it (same CallerReference) and the batch is gone.
        endpoint.Refusal = null;
        var (delivered, deliveredOut, deliveredError) = await CliAsync(servers, cdn, "invalidations", "--retry", batchId.ToString(CultureInfo.InvariantCulture));
        Assert.True(delivered == PublisherCli.ExitOk, deliveredOut + deliveredError);
        Assert.Contains("delivered", deliveredOut, StringComparison.Ordinal);
        Assert.Equal(MaxAttempts + 2, endpoint.Requests.Count);
        Assert.Single(endpoint.Requests.Select(CallerReference).Distinct());
        Assert.Equal(0L, await ScalarAsync<long>(servers, "select count(*) from pending_invalidations"));
        var (_, empty, _) = await CliAsync(servers, cdn, "invalidations");
        Assert.Contains("No invalidations owed", empty, StringComparison.Ordinal);

        // A batch that is not there, and a malformed id.
        Assert.Equal(PublisherCli.ExitFailed, (await CliAsync(servers, cdn, "invalidations", "--retry", batchId.ToString(CultureInfo.InvariantCulture))).Code);
        var (usage, _, usageError) = await CliAsync(servers, cdn, "invalidations", "--retry", "abc");
        Assert.Equal(PublisherCli.ExitUsage, usage);
        Assert.Contains("--retry", usageError, StringComparison.Ordinal);
        Assert.Equal(PublisherCli.ExitOk, (await CliAsync(servers, cdn, "invalidations", "--retry", "all")).Code);
    }

    [Fact]
    public async Task A_refusal_of_the_request_itself_parks_the_batch_at_once_and_retry_all_delivers_it()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 10, categories: 2);
        await using var endpoint = await FakeCloudFront.StartAsync();
        var cdn = CloudFront(endpoint);
        await using var harness = await PublisherHarness.CreateAsync(servers, cdn: cdn, configure: c => c.Cdn.InvalidationMaxAttempts = 50);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);

        endpoint.Refusal = (400, "InvalidArgument");
        endpoint.Requests.Clear();
        await using (var command = servers.Database.DataSource.CreateCommand("update products set name = 'Rejected batch' where id = (select min(id) from products)"))
        {
            await command.ExecuteNonQueryAsync();
        }

        var result = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Single(endpoint.Requests);   // not retried: the same request can never succeed
        Assert.Equal(0, result.InvalidationsPending);
        Assert.Equal((1, "parked"), await BatchStateAsync(servers, result.Version!.Value));
        Assert.Contains("InvalidArgument", await ScalarAsync<string>(servers, "select last_error from pending_invalidations"), StringComparison.Ordinal);
        // Parked batches are not sent by later publishes.
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Single(endpoint.Requests);

        endpoint.Refusal = null;
        var (code, output, error) = await CliAsync(servers, cdn, "invalidations", "--retry", "all");
        Assert.True(code == PublisherCli.ExitOk, output + error);
        Assert.Contains("delivered", output, StringComparison.Ordinal);
        Assert.Equal(0L, await ScalarAsync<long>(servers, "select count(*) from pending_invalidations"));
    }

    private static CloudFrontInvalidator CloudFront(FakeCloudFront endpoint) => new(
        new HttpClient(),
        new CloudFrontSection { DistributionId = "EDFDVBD6EXAMPLE", Endpoint = endpoint.Uri, RetryDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 2 },
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null, TimeProvider.System);

    private static string CallerReference(FakeCloudFront.Recorded request) =>
        XDocument.Parse(Encoding.UTF8.GetString(request.Body)).Root!.Element(Ns + "CallerReference")!.Value;

    private static async Task<(int Code, string Out, string Error)> CliAsync(IsolatedServers servers, ICdnInvalidator cdn, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await PublisherCli.RunAsync(args, stdout, stderr, PublisherHarness.Settings(servers), PublisherHarness.ConfigPath, s => s.AddSingleton(cdn));
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static async Task<(int Attempts, string State)> BatchStateAsync(IsolatedServers servers, long version)
    {
        await using var command = servers.Database.DataSource.CreateCommand("select attempts, state from pending_invalidations where version = @version");
        command.Parameters.AddWithValue("version", version);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no invalidation batch for version {version}");
        return (reader.GetInt32(0), reader.GetString(1));
    }

    private static async Task<string> BodyAsync(PublisherHarness harness, string key)
    {
        var stored = await harness.S3.GetAsync(key, CancellationToken.None);
        Assert.NotNull(stored);
        return Encoding.UTF8.GetString(stored.Body);
    }

    private static async Task<T> ScalarAsync<T>(IsolatedServers servers, string sql)
    {
        await using var command = servers.Database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
