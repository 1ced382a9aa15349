using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Edge;
using Static.Publisher.Publishing;
using Static.Shared.Configuration;

namespace Static.IntegrationTests;

/// <summary>
/// The CloudFront client against a local HTTP endpoint that records each request; signatures are checked by
/// an independent signer (npm aws4, installed by scripts/stack.sh), not by the project's own code.
/// </summary>
public sealed class CloudFrontClientTests
{
    private const string AccessKey = "AKIDEXAMPLE";
    private const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    [Fact]
    public async Task The_real_request_is_signed_as_aws4_would_sign_it_and_carries_the_batch()
    {
        await using var endpoint = await FakeCloudFront.StartAsync();
        var invalidator = Create(endpoint);
        string[] paths = ["/products/1.html", "/products/1.json", "/index.html", "/"];
        Assert.Equal(4, await invalidator.InvalidateAsync(42, InvalidationRequest.PathsOnly(paths), CancellationToken.None));

        var request = Assert.Single(endpoint.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation", request.Path);
        var xml = XDocument.Parse(Encoding.UTF8.GetString(request.Body));
        XNamespace ns = "http://cloudfront.amazonaws.com/doc/2020-05-31/";
        Assert.Equal(paths.Order(StringComparer.Ordinal), xml.Root!.Element(ns + "Paths")!.Element(ns + "Items")!.Elements(ns + "Path").Select(e => e.Value));
        Assert.StartsWith("static-v42-b0-", xml.Root.Element(ns + "CallerReference")!.Value, StringComparison.Ordinal);

        Assert.Equal(request.Headers["authorization"], await Aws4SignatureAsync(request));
    }

    [Fact]
    public async Task Throttling_is_retried_with_the_same_caller_reference()
    {
        await using var endpoint = await FakeCloudFront.StartAsync(throttleFirst: 2);
        var invalidator = Create(endpoint);
        Assert.Equal(2, await invalidator.InvalidateAsync(7, InvalidationRequest.PathsOnly(["/a.json", "/b.json"]), CancellationToken.None));
        Assert.Equal(3, endpoint.Requests.Count);
        var references = endpoint.Requests.Select(r => XDocument.Parse(Encoding.UTF8.GetString(r.Body)).Root!
            .Element(XName.Get("CallerReference", "http://cloudfront.amazonaws.com/doc/2020-05-31/"))!.Value).Distinct().ToList();
        Assert.Single(references);
    }

    [Fact]
    public async Task A_refusal_that_is_not_throttling_fails_the_batch()
    {
        await using var endpoint = await FakeCloudFront.StartAsync(alwaysStatus: 403);
        var invalidator = Create(endpoint);
        var e = await Assert.ThrowsAsync<InvalidationFailedException>(() => invalidator.InvalidateAsync(1, InvalidationRequest.PathsOnly(["/a.json"]), CancellationToken.None));
        Assert.Contains("403", e.Message, StringComparison.Ordinal);
        Assert.Single(endpoint.Requests);
    }

    [Fact]
    public async Task Publishes_send_cache_tags_that_cover_exactly_the_changed_objects_as_they_are_cached()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 40, categories: 2);
        await using var endpoint = await FakeCloudFront.StartAsync();
        await using var harness = await PublisherHarness.CreateAsync(servers, cdn: Create(endpoint));
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);

        // A site-config change touches every page: one #config entry instead of every path.
        await Execute(servers, "update site_config set document = jsonb_set(document, '{banner,text}', '\"Flash sale\"')");
        var config = await PublishAndCheckCoverageAsync(harness, endpoint);
        Assert.Contains("#config", config.Entries);
        Assert.True(config.Paths > 40 && config.Entries.Count <= 3, $"{config.Paths} paths → {string.Join(' ', config.Entries)}");

        // A one-product rename: its pages (and any listing showing it) share product:N.
        await Execute(servers, "update products set name = 'Renamed for tags' where id = 7");
        var rename = await PublishAndCheckCoverageAsync(harness, endpoint);
        Assert.Equal(["#product:7"], rename.Entries);
    }

    /// <summary>
    /// Publishes and checks the one property tag invalidation rests on: every invalidated path is either sent
    /// exactly, or its object as stored before the publish (what the CDN caches) carries one of the tags sent.
    /// </summary>
    private static async Task<(int Paths, List<string> Entries)> PublishAndCheckCoverageAsync(PublisherHarness harness, FakeCloudFront endpoint)
    {
        var before = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var dryRun = await harness.Publisher.PublishAsync(new PublishOptions(DryRun: true), null, CancellationToken.None);
        foreach (var path in dryRun.Invalidations)
        {
            var stored = await harness.S3.GetAsync((path == "/" ? "/index.html" : path)[1..], CancellationToken.None);
            before[path] = stored is null ? [] : Static.Shared.Artifacts.SurrogateKeys.Parse(stored.Metadata["cache-tag"]);
        }

        endpoint.Requests.Clear();
        var result = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Equal(dryRun.Invalidations, result.Invalidations);
        XNamespace ns = "http://cloudfront.amazonaws.com/doc/2020-05-31/";
        var entries = endpoint.Requests.SelectMany(r => XDocument.Parse(Encoding.UTF8.GetString(r.Body)).Root!
            .Element(ns + "Paths")!.Element(ns + "Items")!.Elements(ns + "Path").Select(e => e.Value)).ToList();
        var tags = entries.Where(e => e.StartsWith('#')).Select(e => e[1..]).ToHashSet(StringComparer.Ordinal);
        foreach (var path in result.Invalidations)
        {
            Assert.True(entries.Contains(path) || before[path].Any(tags.Contains), $"{path} is neither sent nor tagged with one of {string.Join(',', tags)}");
        }

        Assert.Equal(entries.Count, result.InvalidationsSent);
        return (result.Invalidations.Count, entries);
    }

    private static async Task Execute(IsolatedServers servers, string sql)
    {
        await using var command = servers.Database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static CloudFrontInvalidator Create(FakeCloudFront endpoint) => new(
        new HttpClient(),
        new CloudFrontSection { DistributionId = "EDFDVBD6EXAMPLE", Endpoint = endpoint.Uri, RetryDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 4 },
        AccessKey, SecretKey, null, TimeProvider.System);

    /// <summary>Asks npm aws4 to sign the same request (same date, same headers) and returns its Authorization.</summary>
    private static async Task<string> Aws4SignatureAsync(FakeCloudFront.Recorded request)
    {
        var aws4 = Path.Combine(StackServers.RepositoryRoot, ".local", "npm", "node_modules", "aws4");
        Assert.True(Directory.Exists(aws4), "npm aws4 is missing: run scripts/stack.sh up (./test.sh does), which installs it.");
        var input = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["host"] = request.Headers["host"],
            ["method"] = request.Method,
            ["path"] = request.Path,
            ["body"] = Encoding.UTF8.GetString(request.Body),
            ["date"] = request.Headers["x-amz-date"],
            ["contentSha"] = request.Headers["x-amz-content-sha256"],
            ["aws4"] = aws4,
        });
        const string script = """
            let s = ''; process.stdin.on('data', d => s += d); process.stdin.on('end', () => {
              const i = JSON.parse(s); const aws4 = require(i.aws4);
              const o = { host: i.host, method: i.method, path: i.path, body: i.body, service: 'cloudfront', region: 'us-east-1',
                headers: { 'Content-Type': 'text/xml', 'X-Amz-Date': i.date, 'X-Amz-Content-Sha256': i.contentSha } };
              aws4.sign(o, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' });
              process.stdout.write(o.headers.Authorization);
            });
            """;
        var start = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add(script);
        using var node = Process.Start(start)!;
        await node.StandardInput.WriteAsync(input);
        node.StandardInput.Close();
        var output = await node.StandardOutput.ReadToEndAsync();
        var error = await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        Assert.True(node.ExitCode == 0, error);
        return output;
    }
}

/// <summary>A local stand-in for the CloudFront API: records requests, answers 201, or throttles/refuses on cue.</summary>
internal sealed class FakeCloudFront : IAsyncDisposable
{
    private readonly WebApplication app;

    private FakeCloudFront(WebApplication app, Uri uri)
    {
        this.app = app;
        Uri = uri;
    }

    public Uri Uri { get; }

    public ConcurrentQueue<Recorded> Requests { get; } = new();

    /// <summary>While set, every CreateInvalidation is refused with this status and error code (a CDN that refuses for good).</summary>
    public (int Status, string Code)? Refusal { get; set; }

    public static async Task<FakeCloudFront> StartAsync(int throttleFirst = 0, int? alwaysStatus = null)
    {
        var port = TestVarnish.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
        var app = builder.Build();
        var fake = new FakeCloudFront(app, new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}")));
        var seen = 0;
        app.MapPost("/2020-05-31/distribution/{id}/invalidation", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            fake.Requests.Enqueue(new Recorded(http.Request.Method, http.Request.Path.Value!, body.ToArray(),
                http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));
            if (fake.Refusal is { } refusal)
            {
                return Results.Text($"<ErrorResponse><Error><Code>{refusal.Code}</Code></Error></ErrorResponse>", "text/xml", statusCode: refusal.Status);
            }

            if (alwaysStatus is { } status)
            {
                return Results.Text("<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>", "text/xml", statusCode: status);
            }

            if (Interlocked.Increment(ref seen) <= throttleFirst)
            {
                return Results.Text("<ErrorResponse><Error><Code>TooManyInvalidationsInProgress</Code></Error></ErrorResponse>", "text/xml", statusCode: 400);
            }

            return Results.Text("<Invalidation><Id>I2J0I21PCUYOIK</Id><Status>InProgress</Status></Invalidation>", "text/xml", statusCode: 201);
        });
        await app.StartAsync();
        return fake;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    internal sealed record Recorded(string Method, string Path, byte[] Body, Dictionary<string, string> Headers);
}
