using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Publishing;

namespace Static.IntegrationTests;

/// <summary>The Api in process on real PostgreSQL and Redis, compared with what the publisher put on s3rver.</summary>
public sealed class ApiTests
{
    [Fact]
    public async Task Every_published_path_gets_the_same_bytes_and_ETag_from_the_Api_and_a_matching_ETag_gets_304()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 60, categories: 3);
        await using (var harness = await PublisherHarness.CreateAsync(servers))
        {
            await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        }

        await using var harnessForRead = await PublisherHarness.CreateAsync(servers);
        var entries = await PublishTests.ReadAllEntriesAsync(harnessForRead);
        await using var api = new ApiFactory(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12]);
        using var client = api.CreateClient();

        foreach (var path in entries.Keys)
        {
            var published = await servers.Bucket.Client.GetObjectAsync(servers.Bucket.Name, path[1..]);
            using var body = new MemoryStream();
            await published.ResponseStream.CopyToAsync(body);

            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            Assert.Equal(body.ToArray(), await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(published.ETag, response.Headers.ETag?.Tag);
            Assert.Equal(published.Headers.ContentType, response.Content.Headers.ContentType?.ToString());
            Assert.Equal(published.Metadata["cache-tag"], response.Headers.GetValues("x-amz-meta-cache-tag").Single());

            using var conditional = new HttpRequestMessage(HttpMethod.Get, path);
            conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(published.ETag));
            using var notModified = await client.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/products/1.json"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        // The live manifest, as the publisher uploaded it.
        var root = await servers.Bucket.Client.GetObjectAsync(servers.Bucket.Name, "manifest.json");
        using var rootBody = new MemoryStream();
        await root.ResponseStream.CopyToAsync(rootBody);
        Assert.Equal(rootBody.ToArray(), await client.GetByteArrayAsync("/manifest.json"));
    }

    [Theory]
    [InlineData("/products/abc.json", 404, "application/problem+json")]
    [InlineData("/products/999999.json", 404, "application/problem+json")]
    [InlineData("/products/0.json", 404, "application/problem+json")]
    [InlineData("/products/1.xml", 404, "application/problem+json")]
    [InlineData("/products/..%2f..%2fetc%2fpasswd", 404, "application/problem+json")]
    [InlineData("/%2e%2e/%2e%2e/etc/passwd", 404, "text/html")]
    [InlineData("/categories/no-such-category/1.json", 404, "application/problem+json")]
    [InlineData("/categories/no-such-category/2.json", 404, "application/problem+json")]
    [InlineData("/categories/Bad_Slug/2.json", 404, "application/problem+json")]
    [InlineData("/categories/x/abc.json", 404, "application/problem+json")]
    [InlineData("/categories/x/0.json", 400, "application/problem+json")]
    [InlineData("/categories/x/-1.json", 400, "application/problem+json")]
    [InlineData("/categories/x/99999999999.json", 400, "application/problem+json")]
    [InlineData("/stock", 400, "application/problem+json")]
    [InlineData("/stock?ids=abc", 400, "application/problem+json")]
    [InlineData("/stock?ids=1,-2", 400, "application/problem+json")]
    [InlineData("/stock?ids=1,2", 200, "application/json")]
    [InlineData("/products/999999.html", 404, "text/html")]
    [InlineData("/no-such-page", 404, "text/html")]
    public async Task Bad_input_gets_a_clear_4xx_and_never_a_500(string path, int status, string mediaType)
    {
        await using var api = await SeededApiAsync();
        using var client = api.Factory.CreateClient();
        using var response = await client.GetAsync(path);
        Assert.Equal(status, (int)response.StatusCode);
        // Data gets problem details; a page that does not exist gets the shop's 404 page (the published /404.html).
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        if (mediaType == "text/html")
        {
            Assert.Equal(await client.GetStringAsync("/404.html"), await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task An_over_long_URL_is_refused()
    {
        await using var api = await SeededApiAsync();
        using var client = api.Factory.CreateClient();
        using var response = await client.GetAsync("/products/" + new string('1', 6000) + ".json");
        Assert.True((int)response.StatusCode is 404 or 414, response.StatusCode.ToString());
    }

    [Fact]
    public async Task Listing_pages_after_the_first_come_from_the_Api_in_id_order()
    {
        await using var api = await SeededApiAsync(products: 200, categories: 2);
        using var client = api.Factory.CreateClient();
        await using var command = api.Servers.Database.DataSource.CreateCommand(
            "select c.slug, array_agg(p.id order by p.id) from categories c join products p on p.category_id = c.id group by c.slug order by count(*) desc limit 1");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var slug = reader.GetString(0);
        var ids = reader.GetFieldValue<long[]>(1);
        Assert.True(ids.Length > 80, "the seed should put more than two pages in one category");

        using var page2 = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync($"/categories/{slug}/2.json"));
        var listed = page2.RootElement.GetProperty("products").EnumerateArray().Select(p => p.GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(ids.Skip(40).Take(40), listed);
        Assert.Equal($"/categories/{slug}/3.json", page2.RootElement.GetProperty("next").GetString());

        // The same renderer as page 1: the same document shape, and tags naming the products it shows.
        using var page1 = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync($"/categories/{slug}/1.json"));
        Assert.Equal(page1.RootElement.EnumerateObject().Select(p => p.Name), page2.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(page1.RootElement.GetProperty("products")[0].EnumerateObject().Select(p => p.Name),
            page2.RootElement.GetProperty("products")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, page2.RootElement.GetProperty("page").GetInt32());
        using var response = await client.GetAsync($"/categories/{slug}/2.json");
        var tags = Static.Shared.Artifacts.SurrogateKeys.Parse(string.Join(',', response.Headers.GetValues(Static.Shared.Artifacts.SurrogateKeys.Header)));
        Assert.Equal($"path:/categories/{slug}/2.json", tags[0]);
        Assert.Contains(Static.Shared.Artifacts.DependencyKeys.Product(ids[40]), tags);
        Assert.Contains(tags, t => t.EndsWith(":list", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Static__Api__L1Duration", "02:00:00", "api.l1Duration")]              // out of range (0 to 1 h)
    [InlineData("Static__Api__MaxListingPage", "lots", "'api.maxListingPage' has value 'lots'")]
    [InlineData("Static__Api__L1Durationn", "00:00:01", "unknown field 'api.L1Durationn'")]
    public async Task An_invalid_Static_Api_override_stops_the_Api_with_exit_2_naming_the_field(string variable, string value, string expected)
    {
        var stderr = await StartExpectingExit2Async(new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Static__CacheName"] = "t" + Guid.NewGuid().ToString("N")[..12],
            [variable] = value,
        });
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Starts the built Api (Debug) with the stack's database and Redis and <paramref name="environment"/> on top,
    /// asserts that it stops by itself within a minute with exit code 2 (a usage error), and returns its stderr.
    /// </summary>
    internal static async Task<string> StartExpectingExit2Async(IReadOnlyDictionary<string, string> environment)
    {
        var dll = Path.Combine(StackServers.RepositoryRoot, "src", "Api", "bin", "Debug", "net10.0", "Static.Api.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first (./test.sh does).");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = StackServers.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["Static__Database"] = StackServers.Require(StackServers.Settings.Database, "STATIC_DATABASE");
        start.Environment["Static__Redis"] = StackServers.Require(StackServers.Settings.Redis, "STATIC_REDIS");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the Api started with {string.Join(", ", environment.Select(e => $"{e.Key}={e.Value}"))} instead of stopping");
        }

        var stderr = await error;
        Assert.True(process.ExitCode == 2, $"exit {process.ExitCode}: {stderr}{await output}");
        return stderr;
    }

    internal static async Task<SeededApi> SeededApiAsync(int products = 20, int categories = 2, IReadOnlyDictionary<string, string?>? settings = null,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products, categories);
        return new SeededApi(servers, new ApiFactory(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], settings, services));
    }

    internal sealed class SeededApi(IsolatedServers servers, ApiFactory factory) : IAsyncDisposable
    {
        public IsolatedServers Servers { get; } = servers;

        public ApiFactory Factory { get; } = factory;

        public async ValueTask DisposeAsync()
        {
            await Factory.DisposeAsync();
            await ((IAsyncDisposable)Servers).DisposeAsync();
        }
    }
}
