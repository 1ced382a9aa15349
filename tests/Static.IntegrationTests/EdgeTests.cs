using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Edge;
using Static.Publisher.Publishing;
using Static.Shared.Configuration;

namespace Static.IntegrationTests;

/// <summary>The generated edge with real s3rver, Varnish and an Api process: invalidation end to end.</summary>
public sealed class EdgeTests
{
    [Fact]
    public async Task The_generated_VCL_compiles()
    {
        var config = PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
        config.Cdn.ApiOrigins = ["127.0.0.1:56080", "127.0.0.1:56090"];
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, VarnishConfigGenerator.Generate(config, new Uri("http://127.0.0.1:56000"), "static-site"));
            // varnishd started as root reads the VCL as its own unprivileged user.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }
            var start = new ProcessStartInfo("varnishd") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { "-C", "-f", file })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, (await error)[^Math.Min(2000, (await error).Length)..]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_first_publish_bans_the_whole_edge_once_then_a_rename_reaches_it_with_exactly_its_paths_invalidated_new_products_fall_back_to_the_Api_and_purges_need_loopback()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 40, categories: 2);
        var apiPort = TestVarnish.FreePort();
        await using var api = await ApiProcess.StartAsync(servers.Database.ConnectionString, apiPort);

        var config = PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
        config.Cdn.ApiOrigins = [string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{apiPort}")];
        var s3 = new Uri(StackServers.Require(StackServers.Settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL"));
        await using var edge = await TestVarnish.StartWithVclAsync(VarnishConfigGenerator.Generate(config, s3, servers.Bucket.Name));
        var recorder = new RecordingInvalidator(new VarnishInvalidator(new HttpClient(), edge.Client.BaseAddress!, 100));
        await using var harness = await PublisherHarness.CreateAsync(servers, cdn: recorder);

        // Before the first publish the edge falls back to the Api, and caches what it answers.
        Assert.Equal(("MISS", "api"), await CacheStateAsync(edge, "/products/3.json"));
        var first = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);

        // The first version: one wildcard, a single BAN at Varnish, instead of a purge per path; the Api's copy is gone.
        Assert.Equal([InvalidationRequest.Everything], first.Invalidations);
        Assert.Equal([InvalidationRequest.Everything], recorder.Sent);
        Assert.Equal(1, first.InvalidationsSent);

        // MISS, then HIT, from the store.
        Assert.Equal(("MISS", "s3"), await CacheStateAsync(edge, "/products/3.json"));
        Assert.Equal(("HIT", "s3"), await CacheStateAsync(edge, "/products/3.json"));
        await CacheStateAsync(edge, "/products/30.json");
        Assert.Equal("HIT", (await CacheStateAsync(edge, "/products/30.json")).Cache);

        // A product that is not featured: its two pages change (and its listing, if it shows on page 1).
        await using (var update = servers.Database.DataSource.CreateCommand("update products set name = 'Edge Renamed', featured_rank = null where id = 3"))
        {
            await update.ExecuteNonQueryAsync();
        }

        recorder.Sent.Clear();
        var renamed = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Equal(renamed.Invalidations.OrderBy(p => p, StringComparer.Ordinal), recorder.Sent.OrderBy(p => p, StringComparer.Ordinal));
        Assert.Equal(renamed.UploadedPaths.OrderBy(p => p, StringComparer.Ordinal), recorder.Sent.Where(p => p != "/").OrderBy(p => p, StringComparer.Ordinal));
        Assert.Contains("/products/3.json", recorder.Sent);
        Assert.Contains("/products/3.html", recorder.Sent);
        Assert.DoesNotContain(recorder.Sent, p => p.Contains('*', StringComparison.Ordinal));
        Assert.Equal(renamed.Invalidations.Count, renamed.InvalidationsSent);

        Assert.Contains("Edge Renamed", await edge.Client.GetStringAsync("/products/3.json"), StringComparison.Ordinal);
        Assert.Equal("HIT", (await CacheStateAsync(edge, "/products/30.json")).Cache);   // unrelated: still cached

        // Created after the publish: the edge falls back to the Api; after the next publish it comes from the store.
        await using (var insert = servers.Database.DataSource.CreateCommand(
            "insert into products (id, slug, name, price_amount, currency, category_id) select 900, 'late-arrival-900', 'Late Arrival', 5.00, 'EUR', category_id from products where id = 1"))
        {
            await insert.ExecuteNonQueryAsync();
        }

        Assert.Equal(("MISS", "api"), await CacheStateAsync(edge, "/products/900.json"));
        Assert.Contains("Late Arrival", await edge.Client.GetStringAsync("/products/900.json"), StringComparison.Ordinal);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Equal(("MISS", "s3"), await CacheStateAsync(edge, "/products/900.json"));

        // The manifest through the edge answers 304 to its ETag.
        using var manifest = await edge.Client.GetAsync("/manifest.json");
        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/manifest.json");
        conditional.Headers.IfNoneMatch.Add(manifest.Headers.ETag!);
        using var notModified = await edge.Client.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        // PURGE from 127.0.0.2 is refused; from 127.0.0.1 it works.
        using var other = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = edge.Client.BaseAddress };
        using var refused = await other.SendAsync(new HttpRequestMessage(new HttpMethod("PURGE"), "/products/30.json"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, refused.StatusCode);
        Assert.Equal("HIT", (await CacheStateAsync(edge, "/products/30.json")).Cache);
    }

    [Fact]
    public async Task A_missing_page_gets_the_published_404_page_with_status_404_at_the_edge_and_missing_data_gets_problem_details()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 10, categories: 2);
        var apiPort = TestVarnish.FreePort();
        await using var api = await ApiProcess.StartAsync(servers.Database.ConnectionString, apiPort);
        var config = PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
        config.Cdn.ApiOrigins = [string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{apiPort}")];
        var s3 = new Uri(StackServers.Require(StackServers.Settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL"));
        await using var edge = await TestVarnish.StartWithVclAsync(VarnishConfigGenerator.Generate(config, s3, servers.Bucket.Name));
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var notFoundPage = await edge.Client.GetStringAsync("/404.html");
        Assert.Contains("Not found", notFoundPage, StringComparison.Ordinal);

        // The last one the Api answers with problem details (its extension is not a page's): the edge itself swaps in the page.
        foreach (var page in new[] { "/products/99999.html", "/categories/no-such-category/1.html", "/no/such/page", "/products/..%2f..%2fetc%2fpasswd" })
        {
            for (var attempt = 0; attempt < 2; attempt++)   // the first from the origins, the second from the cache
            {
                using var response = await edge.Client.GetAsync(page);
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(notFoundPage, await response.Content.ReadAsStringAsync());
            }
        }

        using var data = await edge.Client.GetAsync("/products/99999.json");
        Assert.Equal(HttpStatusCode.NotFound, data.StatusCode);
        Assert.Equal("application/problem+json", data.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_manifest_revalidated_with_a_304_keeps_its_own_short_TTL_so_the_next_version_reaches_the_edge_within_seconds()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 10, categories: 2);
        var config = PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
        config.Cdn.ApiOrigins = [string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{TestVarnish.FreePort()}")];
        var s3 = new Uri(StackServers.Require(StackServers.Settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL"));
        await using var edge = await TestVarnish.StartWithVclAsync(VarnishConfigGenerator.Generate(config, s3, servers.Bucket.Name));
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);

        // Cached, expired (s-maxage=2), then revalidated in the background: s3rver answers 304 without Cache-Control.
        var first = await VersionAsync();
        await Task.Delay(2_500);
        Assert.Equal(first, await VersionAsync());
        await Task.Delay(500);
        Assert.Equal(first, await VersionAsync());

        await using (var update = servers.Database.DataSource.CreateCommand("update products set name = 'After Revalidation' where id = 2"))
        {
            await update.ExecuteNonQueryAsync();
        }

        var second = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var published = Stopwatch.StartNew();
        while (await VersionAsync() == first)
        {
            // The default TTL Varnish gives a 304 without Cache-Control is 120 s; the root's own is 2 s (+ a grace hit).
            Assert.True(published.Elapsed < TimeSpan.FromSeconds(8), $"the edge still serves version {first} {published.Elapsed.TotalSeconds:0.0} s after version {second.Version} was published");
            await Task.Delay(200);
        }

        async Task<long> VersionAsync()
        {
            using var json = System.Text.Json.JsonDocument.Parse(await edge.Client.GetStringAsync("/manifest.json"));
            return json.RootElement.GetProperty("version").GetInt64();
        }
    }

    [Fact]
    public async Task An_invalidation_the_edge_refused_is_recorded_and_sent_by_the_next_run()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 10, categories: 2);
        var flaky = new FlakyInvalidator { Failing = true };
        // No backoff: the refused batch is due again at once (ParkedInvalidationTests covers the backoff).
        await using var harness = await PublisherHarness.CreateAsync(servers, cdn: flaky, configure: c => c.Cdn.InvalidationRetryDelay = TimeSpan.Zero);
        var first = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Equal(1, first.InvalidationsPending);
        Assert.Equal(0, first.InvalidationsSent);

        flaky.Failing = false;
        var second = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Equal(0, second.Uploaded);
        Assert.Equal(first.Invalidations.Count, second.InvalidationsSent);
        Assert.Equal(0, second.InvalidationsPending);
        Assert.Equal(first.Invalidations.OrderBy(p => p, StringComparer.Ordinal), flaky.Sent.OrderBy(p => p, StringComparer.Ordinal));
        await using var left = servers.Database.DataSource.CreateCommand("select count(*) from pending_invalidations");
        Assert.Equal(0L, await left.ExecuteScalarAsync());
    }

    private static async Task<(string Cache, string Origin)> CacheStateAsync(TestVarnish edge, string path)
    {
        using var response = await edge.Client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
        return (response.Headers.GetValues("x-cache").Single(), response.Headers.GetValues("x-origin").Single());
    }

    private sealed class RecordingInvalidator(ICdnInvalidator inner) : ICdnInvalidator
    {
        public List<string> Sent { get; } = [];

        public string Description => "recording " + inner.Description;

        public async Task<int> InvalidateAsync(long version, InvalidationRequest request, CancellationToken cancellationToken)
        {
            var count = await inner.InvalidateAsync(version, request, cancellationToken);
            Sent.AddRange(request.Paths);
            return count;
        }
    }

    private sealed class FlakyInvalidator : ICdnInvalidator
    {
        public bool Failing { get; set; }

        public List<string> Sent { get; } = [];

        public string Description => "flaky";

        public Task<int> InvalidateAsync(long version, InvalidationRequest request, CancellationToken cancellationToken)
        {
            var paths = request.Paths;
            if (Failing)
            {
                throw new InvalidationFailedException("injected: the edge is unreachable");
            }

            Sent.AddRange(paths);
            return Task.FromResult(paths.Count);
        }
    }
}

/// <summary>The Api as a real process on a port (the edge needs something to fall back to).</summary>
internal sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process process;

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> output;

    private ApiProcess(Process process, int managementPort, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        this.process = process;
        this.output = output;
        ManagementPort = managementPort;
    }

    /// <summary>The last 40 lines the process wrote (stdout and stderr).</summary>
    public IReadOnlyList<string> Output => [.. output];

    /// <summary>The port of /healthz, /readyz, /metrics and /openapi/v1.json (a free one: Api processes of parallel tests must not share it).</summary>
    public int ManagementPort { get; }

    /// <summary>Starts the built Api (Debug) on <paramref name="port"/>; <paramref name="shippedLogging"/> runs it with the
    /// logging levels the build ships (appsettings.json), otherwise at Warning to keep test output short.</summary>
    public static async Task<ApiProcess> StartAsync(string database, int port, IReadOnlyDictionary<string, string>? environment = null, bool shippedLogging = false)
    {
        var managementPort = TestVarnish.FreePort();
        var dll = Path.Combine(StackServers.RepositoryRoot, "src", "Api", "bin", "Debug", "net10.0", "Static.Api.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first (./test.sh does).");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = StackServers.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["ASPNETCORE_URLS"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        start.Environment["Static__Database"] = database;
        start.Environment["Static__Redis"] = StackServers.Require(StackServers.Settings.Redis, "STATIC_REDIS");
        start.Environment["Static__CacheName"] = "t" + Guid.NewGuid().ToString("N")[..12];
        if (!shippedLogging)
        {
            start.Environment["Logging__LogLevel__Default"] = "Warning";
        }

        start.Environment["Static__Management__Url"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{managementPort}");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            try
            {
                using var ready = await client.GetAsync(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{managementPort}/healthz"));
                if (ready.IsSuccessStatusCode)
                {
                    return new ApiProcess(process, managementPort, output);
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var exited = process.HasExited;
                if (!exited)
                {
                    process.Kill(entireProcessTree: true);
                }

                throw new InvalidOperationException($"the Api did not start on {port} within 120 s (exited: {exited}); its last output:\n{string.Join('\n', output)}");
            }

            await Task.Delay(200);
        }

        void Keep(string? line)
        {
            if (line is not null)
            {
                output.Enqueue(line);
                while (output.Count > 40 && output.TryDequeue(out _))
                {
                }
            }
        }
    }

    private bool disposed;

    /// <summary>Stops the process; a second call does nothing (a test may stop the Api before the end).</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}

/// <summary>The generated CloudFront distribution config, checked by Debian's awscli against its service model (offline: a local stub answers).</summary>
public sealed class CloudFrontConfigTests
{
    [Fact]
    public async Task The_generated_distribution_config_passes_the_awscli_model_check_and_a_broken_one_does_not()
    {
        var config = PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
        var json = CloudFrontConfigGenerator.Generate(config, "static-site");
        using (var document = System.Text.Json.JsonDocument.Parse(json))
        {
            var group = document.RootElement.GetProperty("OriginGroups").GetProperty("Items")[0];
            Assert.Equal([403, 404, 500, 502, 503, 504], group.GetProperty("FailoverCriteria").GetProperty("StatusCodes").GetProperty("Items").EnumerateArray().Select(e => e.GetInt32()));
            Assert.All(document.RootElement.GetProperty("Origins").GetProperty("Items").EnumerateArray(), o => Assert.Equal(2, o.GetProperty("ConnectionTimeout").GetInt32()));

            // Checked by hand against the CloudFront API reference (CacheTagConfig: one required string,
            // HeaderName): the header is the one both origins send the tags in.
            var tagConfig = document.RootElement.GetProperty("CacheTagConfig");
            Assert.Equal(["HeaderName"], tagConfig.EnumerateObject().Select(p => p.Name));
            Assert.Equal("x-amz-meta-cache-tag", tagConfig.GetProperty("HeaderName").GetString());
        }

        await using var stub = await FakeCloudFront.StartAsync(alwaysStatus: 500);

        // awscli 2.9.19's model predates CacheTagConfig: with it, the only complaint allowed is that one field.
        var (withTags, withTagsOutput) = await RunAwsAsync(json, stub.Uri);
        Assert.True(withTags || (withTagsOutput.Contains("Unknown parameter in DistributionConfig: \"CacheTagConfig\"", StringComparison.Ordinal)
            && withTagsOutput.Split('\n').Count(l => l.Contains("Unknown parameter", StringComparison.Ordinal) || l.Contains("Invalid", StringComparison.Ordinal)) == 1), withTagsOutput);

        var withoutTags = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        Assert.True(withoutTags.Remove("CacheTagConfig"));
        var (ok, okOutput) = await RunAwsAsync(withoutTags.ToJsonString(), stub.Uri);
        Assert.True(ok, okOutput);

        var broken = withoutTags.ToJsonString().Replace("\"DefaultRootObject\"", "\"DefaultRootObjekt\"", StringComparison.Ordinal);
        var (bad, badOutput) = await RunAwsAsync(broken, stub.Uri);
        Assert.False(bad, badOutput);
        Assert.Contains("DefaultRootObjekt", badOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_CORS_response_headers_policy_passes_the_awscli_model_check_and_every_behaviour_names_it(bool list)
    {
        var config = PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
        config.Cors.AllowedOrigins = list ? ["https://shop.example", "https://m.shop.example"] : ["*"];
        config.Cdn.CloudFront.ResponseHeadersPolicyId = "policy-123";
        var policy = CloudFrontConfigGenerator.GenerateResponseHeadersPolicy(config);
        using (var document = System.Text.Json.JsonDocument.Parse(policy))
        {
            var cors = document.RootElement.GetProperty("CorsConfig");
            Assert.Equal(list ? ["https://shop.example", "https://m.shop.example"] : ["*"],
                cors.GetProperty("AccessControlAllowOrigins").GetProperty("Items").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal(["GET", "HEAD", "OPTIONS"], cors.GetProperty("AccessControlAllowMethods").GetProperty("Items").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal(7200, cors.GetProperty("AccessControlMaxAgeSec").GetInt32());
        }

        using (var distribution = System.Text.Json.JsonDocument.Parse(CloudFrontConfigGenerator.Generate(config, "static-site")))
        {
            var behaviours = distribution.RootElement.GetProperty("CacheBehaviors").GetProperty("Items").EnumerateArray().ToList();
            Assert.Equal("policy-123", distribution.RootElement.GetProperty("DefaultCacheBehavior").GetProperty("ResponseHeadersPolicyId").GetString());
            Assert.All(behaviours, b => Assert.Equal("policy-123", b.GetProperty("ResponseHeadersPolicyId").GetString()));

            // /admin has no behaviour of its own any more: it falls to the default, the store alone (admin calls go to the Api).
            Assert.DoesNotContain(behaviours, b => b.GetProperty("PathPattern").GetString()!.StartsWith("/admin", StringComparison.Ordinal));
            Assert.Equal("s3", distribution.RootElement.GetProperty("DefaultCacheBehavior").GetProperty("TargetOriginId").GetString());
        }

        await using var stub = await FakeCloudFront.StartAsync(alwaysStatus: 500);
        var (ok, output) = await RunAwsAsync(policy, stub.Uri, "create-response-headers-policy", "--response-headers-policy-config", "CreateResponseHeadersPolicy");
        Assert.True(ok, output);
        var (bad, badOutput) = await RunAwsAsync(policy.Replace("\"OriginOverride\"", "\"OriginOverrid\"", StringComparison.Ordinal), stub.Uri,
            "create-response-headers-policy", "--response-headers-policy-config", "CreateResponseHeadersPolicy");
        Assert.False(bad, badOutput);
    }

    /// <summary>True when awscli accepted the parameters and sent the request (the stub then answers 500).</summary>
    private static async Task<(bool Sent, string Output)> RunAwsAsync(string json, Uri endpoint,
        string command = "create-distribution", string parameter = "--distribution-config", string operation = "CreateDistribution")
    {
        Assert.True(File.Exists("/usr/bin/aws"), "Debian's awscli is missing: run scripts/stack.sh up (./test.sh does), which installs it.");
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, json);
        try
        {
            var start = new ProcessStartInfo("/usr/bin/aws") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "cloudfront", command, parameter, "file://" + file, "--endpoint-url", endpoint.ToString(), "--cli-read-timeout", "60", "--cli-connect-timeout", "10" })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE";
            start.Environment["AWS_SECRET_ACCESS_KEY"] = "secret";
            start.Environment["AWS_DEFAULT_REGION"] = "us-east-1";
            start.Environment["AWS_MAX_ATTEMPTS"] = "1";
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (output.Contains($"when calling the {operation} operation", StringComparison.Ordinal), output);
        }
        finally
        {
            File.Delete(file);
        }
    }
}

/// <summary>The generated VCL's answers to cross-origin reads, on a throwaway Varnish: one test per origin setting.</summary>
public sealed class EdgeCorsTests
{
    private const string Shop = "https://shop.example";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_edge_answers_preflights_and_reads_per_the_origin_setting_and_never_for_admin(bool list)
    {
        var config = PublishConfigLoader.Load(PublisherHarness.ConfigPath, new System.Collections.Hashtable());
        config.Cors.AllowedOrigins = list ? [Shop] : ["*"];
        var s3 = new Uri(StackServers.Require(StackServers.Settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL"));
        await using var bucket = await TestBucket.CreateAsync();
        await using var edge = await TestVarnish.StartWithVclAsync(VarnishConfigGenerator.Generate(config, s3, bucket.Name));

        // A listed origin (or any, with "*"): 204 with the CORS headers, answered by the edge itself.
        using var preflight = await SendAsync(edge, HttpMethod.Options, "/products/1.json", Shop, preflight: true);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal(list ? Shop : "*", Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Equal("GET, HEAD", Header(preflight, "Access-Control-Allow-Methods"));
        Assert.Equal("7200", Header(preflight, "Access-Control-Max-Age"));
        Assert.Equal(list, preflight.Headers.Vary.Contains("Origin"));

        // A read with an Origin gets the same decision on whatever the origin answered (here a 404 from the store and the absent Api).
        using var read = await SendAsync(edge, HttpMethod.Get, "/manifest.json", Shop, preflight: false);
        Assert.Equal(list ? Shop : "*", Header(read, "Access-Control-Allow-Origin"));
        Assert.Equal(list, read.Headers.Vary.Contains("Origin"));

        // Another origin: allowed only with "*".
        using var stranger = await SendAsync(edge, HttpMethod.Options, "/products/1.json", "https://elsewhere.example", preflight: true);
        Assert.Equal(list ? null : "*", Header(stranger, "Access-Control-Allow-Origin"));

        // /admin: never.
        using var admin = await SendAsync(edge, HttpMethod.Options, "/admin/products/1", Shop, preflight: true);
        Assert.Null(Header(admin, "Access-Control-Allow-Origin"));
    }

    private static async Task<HttpResponseMessage> SendAsync(TestVarnish edge, HttpMethod method, string path, string origin, bool preflight)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Origin", origin);
        if (preflight)
        {
            request.Headers.Add("Access-Control-Request-Method", "GET");
        }

        return await edge.Client.SendAsync(request);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}
