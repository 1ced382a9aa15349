using Amazon.S3.Model;
using Microsoft.Extensions.DependencyInjection;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Cli;
using Static.Publisher.Edge;
using Static.Publisher.Operations;
using Static.Publisher.Publishing;
using Static.Shared.Manifests;

namespace Static.IntegrationTests;

/// <summary>
/// <c>publisher verify [--repair]</c> and a full publish's sample check on real PostgreSQL and s3rver: objects
/// deleted or overwritten behind the publisher's back, straight in the bucket.
/// </summary>
public sealed class VerifyTests
{
    [Fact]
    public async Task Verify_reports_exactly_the_deleted_and_overwritten_objects_and_repair_writes_back_the_published_bytes()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 30, categories: 3);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var root = ManifestSharding.DeserializeRoot((await harness.S3.GetAsync(ObjectKeys.ManifestRoot, CancellationToken.None))!.Body);

        var product5 = (await harness.S3.GetAsync("products/5.json", CancellationToken.None))!;
        var victims = new[]
        {
            "products/3.html",                                                        // a stable path
            ObjectKeys.Immutable(ContentHash.Sha256(product5.Body), ".json"),        // an immutable copy
            ObjectKeys.Shard(root.Shards.First().Key, root.Shards.First().Value),  // a manifest shard
            "index.html",                                                             // the homepage ("/" is invalidated too)
        };
        const string Overwritten = "products/7.json";
        var originals = new Dictionary<string, Static.Publisher.Stores.StoredObject>(StringComparer.Ordinal);
        foreach (var key in victims.Append(Overwritten))
        {
            originals[key] = (await harness.S3.GetAsync(key, CancellationToken.None))!;
        }

        foreach (var key in victims)
        {
            await servers.Bucket.Client.DeleteObjectAsync(servers.Bucket.Name, key);
        }

        await servers.Bucket.Client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = servers.Bucket.Name, Key = Overwritten, ContentBody = """{"not":"what was published"}""", ContentType = "application/json", UseChunkEncoding = false,
        });

        // verify: exactly those, exit 1.
        var cdn = new RecordingCdn();
        var (code, output, error) = await CliAsync(servers, cdn, "verify");
        Assert.True(code == PublisherCli.ExitFailed, $"exit {code}: {output} {error}");
        var reported = output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("missing", StringComparison.Ordinal) || l.StartsWith("wrong", StringComparison.Ordinal)).ToList();
        Assert.Equal(victims.Select(k => "missing " + k).Append("wrong " + Overwritten).Order(StringComparer.Ordinal),
            reported.Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(2))).Order(StringComparer.Ordinal));
        Assert.Contains("4 missing, 1 wrong", output, StringComparison.Ordinal);
        Assert.Contains("Image variants (_immutable/img/) are not in the manifest", output, StringComparison.Ordinal);
        Assert.Empty(cdn.Paths);

        // verify --repair: exit 0, the bytes and headers are the published ones, the edge drops those paths.
        (code, output, error) = await CliAsync(servers, cdn, "verify", "--repair");
        Assert.True(code == PublisherCli.ExitOk, $"exit {code}: {output} {error}");
        Assert.Contains("5 repaired, 0 not repaired", output, StringComparison.Ordinal);
        foreach (var (key, original) in originals)
        {
            var now = (await harness.S3.GetAsync(key, CancellationToken.None))!;
            Assert.True(original.Body.AsSpan().SequenceEqual(now.Body), $"{key} differs from what was published");
            Assert.Equal(original.ContentType, now.ContentType);
            Assert.Equal(original.CacheControl, now.CacheControl);
            Assert.Equal(original.Metadata.GetValueOrDefault("cache-tag"), now.Metadata.GetValueOrDefault("cache-tag"));
        }

        Assert.Equal(victims.Append(Overwritten).Select(k => "/" + k).Append("/").Order(StringComparer.Ordinal), cdn.Paths.Order(StringComparer.Ordinal));

        // And again: all ok.
        (code, output, error) = await CliAsync(servers, cdn, "verify");
        Assert.True(code == PublisherCli.ExitOk, $"exit {code}: {output} {error}");
        Assert.Contains("0 missing, 0 wrong", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Repair_re_renders_bytes_no_copy_holds_but_never_writes_bytes_the_live_version_did_not_publish()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 20, categories: 2);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var verifier = harness.Services.GetRequiredService<StoreVerifier>();

        // Product 11's page and its immutable copy both gone, the catalog unchanged: re-rendered, same bytes.
        var page11 = (await harness.S3.GetAsync("products/11.html", CancellationToken.None))!;
        var copy11 = ObjectKeys.Immutable(ContentHash.Sha256(page11.Body), ".html");
        // Product 12's too, but product 12 was renamed since: its bytes cannot be made again.
        var page12 = (await harness.S3.GetAsync("products/12.html", CancellationToken.None))!;
        var copy12 = ObjectKeys.Immutable(ContentHash.Sha256(page12.Body), ".html");
        foreach (var key in new[] { "products/11.html", copy11, "products/12.html", copy12 })
        {
            await servers.Bucket.Client.DeleteObjectAsync(servers.Bucket.Name, key);
        }

        await using (var rename = servers.Database.DataSource.CreateCommand("update products set name = 'Renamed Behind The Live Version' where id = 12"))
        {
            await rename.ExecuteNonQueryAsync();
        }

        var result = await verifier.VerifyAsync(new VerifyOptions(Repair: true), null, CancellationToken.None);
        Assert.Equal(4, result.Problems.Count);
        Assert.Equal(new[] { "products/11.html", copy11 }.Order(StringComparer.Ordinal), result.Repaired.Select(r => r.Expected.Key).Order(StringComparer.Ordinal));
        Assert.Equal(page11.Body, (await harness.S3.GetAsync("products/11.html", CancellationToken.None))!.Body);
        Assert.Equal(page11.Body, (await harness.S3.GetAsync(copy11, CancellationToken.None))!.Body);
        Assert.Equal(new[] { "products/12.html", copy12 }.Order(StringComparer.Ordinal), result.Unrepaired.Select(r => r.Finding.Expected.Key).Order(StringComparer.Ordinal));
        Assert.All(result.Unrepaired, u => Assert.Contains("catalog moved on", u.Reason, StringComparison.Ordinal));
        Assert.Null(await harness.S3.GetAsync("products/12.html", CancellationToken.None));
        Assert.False(result.Healthy);

        // The CLI says so with exit 1; a publish then puts the new page up.
        var (code, output, _) = await CliAsync(servers, new RecordingCdn(), "verify", "--repair");
        Assert.Equal(PublisherCli.ExitFailed, code);
        Assert.Contains("run 'publisher publish'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_publish_checks_a_sample_of_live_objects_and_repairs_what_it_finds()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 20, categories: 2);
        var cdn = new RecordingCdn();
        await using var harness = await PublisherHarness.CreateAsync(servers, configure: c => c.Publish.VerifySample = 1_000_000, cdn: cdn);
        var first = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Null(first.SampleCheck);   // an incremental publish does not check

        var original = (await harness.S3.GetAsync("products/4.json", CancellationToken.None))!;
        await servers.Bucket.Client.DeleteObjectAsync(servers.Bucket.Name, "products/4.json");
        cdn.Paths.Clear();

        var full = await harness.Publisher.PublishAsync(new PublishOptions(Full: true), null, CancellationToken.None);
        Assert.Equal(0, full.Uploaded);   // nothing changed in the catalog: the repair is the sample check's
        var sample = Assert.IsType<VerifyResult>(full.SampleCheck);
        Assert.Equal(sample.Total, sample.Checked);
        Assert.Equal("products/4.json", Assert.Single(sample.Repaired).Expected.Key);
        Assert.Equal(original.Body, (await harness.S3.GetAsync("products/4.json", CancellationToken.None))!.Body);
        Assert.Contains("/products/4.json", cdn.Paths);

        // Sample 0: off.
        await using var off = await PublisherHarness.CreateAsync(servers, configure: c => c.Publish.VerifySample = 0);
        Assert.Null((await off.Publisher.PublishAsync(new PublishOptions(Full: true), null, CancellationToken.None)).SampleCheck);
    }

    private static async Task<(int Code, string Output, string Error)> CliAsync(IsolatedServers servers, ICdnInvalidator cdn, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await PublisherCli.RunAsync(args, output, error, PublisherHarness.Settings(servers), PublisherHarness.ConfigPath,
            services => services.AddSingleton(cdn));
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>A CDN that takes everything and remembers the paths it was asked to invalidate.</summary>
    private sealed class RecordingCdn : ICdnInvalidator
    {
        public List<string> Paths { get; } = [];

        public string Description => "recording";

        public Task<int> InvalidateAsync(long version, InvalidationRequest request, CancellationToken cancellationToken)
        {
            lock (Paths)
            {
                Paths.AddRange(request.Paths);
            }

            return Task.FromResult(request.Paths.Count);
        }
    }
}
