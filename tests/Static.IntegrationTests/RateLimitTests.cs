using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Static.IntegrationTests.Infrastructure;

namespace Static.IntegrationTests;

/// <summary>
/// api.rateLimits with low limits set through configuration: /admin per token, reads per client address, where
/// X-Forwarded-For counts only from a trusted edge. The in-process server has no peer address of its own, so a
/// startup filter sets it from a test header (<see cref="PeerHeader"/>), as Kestrel would from the socket.
/// </summary>
public sealed class RateLimitTests : IClassFixture<IsolatedServers>, IAsyncLifetime
{
    private const string PeerHeader = "x-test-peer";
    private const string OtherWriteToken = "other-write-token-0123456789abcdef";
    private const string Edge = "10.9.0.1";

    private readonly IsolatedServers servers;

    public RateLimitTests(IsolatedServers servers) => this.servers = servers;

    public Task InitializeAsync() => PublisherHarness.SeedAsync(servers, products: 3, categories: 1);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Admin_requests_are_limited_per_token_with_429_Retry_After_and_problem_details()
    {
        await using var api = Api(new()
        {
            ["Static:Admin:WriteTokens"] = AdminApiTests.WriteToken + "," + OtherWriteToken,
            ["Static:Admin:ReadTokens"] = AdminApiTests.ReadToken,
            ["Static:Api:RateLimits:AdminPermitsPerSecond"] = "1",
            ["Static:Api:RateLimits:AdminBurst"] = "3",
        });
        using var client = api.CreateClient();

        // Token A from two addresses at once: one bucket (the burst, plus at most one refill, is served).
        var first = await ConcurrentlyAsync(
            SendManyAsync(client, "/admin/config", 6, AdminApiTests.WriteToken, peer: "198.51.100.1"),
            SendManyAsync(client, "/admin/config", 6, AdminApiTests.WriteToken, peer: "198.51.100.2"));
        await ExpectLimitedAsync(first, burst: 3, "token A from two addresses");

        // Another token, from the same address, has its own bucket; so has the read token.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, "/admin/config", OtherWriteToken, peer: "198.51.100.1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, "/admin/config", AdminApiTests.ReadToken, peer: "198.51.100.1")).StatusCode);

        // A write is limited like a read, before it reaches the database.
        var puts = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, "/admin/products/1/stock") { Content = new StringContent("""{"quantity":5}""", System.Text.Encoding.UTF8, "application/json") };
            put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminApiTests.WriteToken);
            put.Headers.Add(PeerHeader, "198.51.100.1");
            using var response = await client.SendAsync(put);
            return response.StatusCode;
        }));
        Assert.Contains(HttpStatusCode.TooManyRequests, puts);

        // The reads of the Api are another policy: not touched by the admin token's bucket.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, "/products/1.json", token: null, peer: "198.51.100.1")).StatusCode);

        // After Retry-After, the token is served again.
        await Task.Delay(TimeSpan.FromSeconds(first.First(r => r.StatusCode == HttpStatusCode.TooManyRequests).Headers.RetryAfter!.Delta!.Value.TotalSeconds + 0.2));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, "/admin/config", AdminApiTests.WriteToken, peer: "198.51.100.1")).StatusCode);
    }

    [Fact]
    public async Task Reads_are_limited_per_client_address_and_X_Forwarded_For_counts_only_from_a_trusted_edge()
    {
        await using var api = Api(new()
        {
            ["Static:Api:RateLimits:ReadPermitsPerSecond"] = "1",
            ["Static:Api:RateLimits:ReadBurst"] = "3",
            ["Static:Api:RateLimits:TrustedEdges:0"] = Edge,
        });
        using var client = api.CreateClient();

        // An address on its own is limited, and a spoofed X-Forwarded-For from it is ignored: one bucket for both halves.
        await ExpectLimitedAsync(await ConcurrentlyAsync(
            SendManyAsync(client, "/products/1.json", 6, token: null, peer: "198.51.100.7"),
            SendManyAsync(client, "/products/1.json", 6, token: null, peer: "198.51.100.7", forwardedFor: "203.0.113.200")), burst: 3, "198.51.100.7, half of it spoofing");
        // Another address has its own bucket.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, "/products/1.json", token: null, peer: "198.51.100.8")).StatusCode);

        // Through the trusted edge, the forwarded address is the client: the same bucket as that client's direct requests.
        await ExpectLimitedAsync(await ConcurrentlyAsync(
            SendManyAsync(client, "/products/2.json", 6, token: null, peer: "198.51.100.20"),
            SendManyAsync(client, "/products/2.json", 6, token: null, peer: Edge, forwardedFor: "198.51.100.20")), burst: 3, "198.51.100.20, direct and via the edge");
        // A client behind the edge cannot escape its bucket by putting an address in front (X-Forwarded-For is read from the right).
        await ExpectLimitedAsync(await ConcurrentlyAsync(
            SendManyAsync(client, "/products/2.json", 6, token: null, peer: Edge, forwardedFor: "203.0.113.60"),
            SendManyAsync(client, "/products/2.json", 6, token: null, peer: Edge, forwardedFor: "203.0.113.99, 203.0.113.60")), burst: 3, "203.0.113.60 via the edge");
        // Another client behind the same edge is served.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, "/products/2.json", token: null, peer: Edge, forwardedFor: "203.0.113.61")).StatusCode);

        // The edge's own traffic (no X-Forwarded-For, or only trusted hops in it) is never limited.
        foreach (var response in await SendManyAsync(client, "/products/3.json", 20, token: null, peer: Edge))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        foreach (var response in await SendManyAsync(client, "/products/3.json", 20, token: null, peer: Edge, forwardedFor: Edge))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Health (on the management port) is not limited.
        using var management = api.CreateManagementClient();
        Assert.All(await SendManyAsync(management, "/healthz", 10, token: null, peer: "198.51.100.30"), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task By_default_loopback_is_the_trusted_edge_and_its_own_traffic_is_not_limited()
    {
        await using var api = Api(new()
        {
            ["Static:Api:RateLimits:ReadPermitsPerSecond"] = "1",
            ["Static:Api:RateLimits:ReadBurst"] = "3",
        });
        using var client = api.CreateClient();

        // What the local Varnish sends for a client on the same machine (it appends client.ip), and what a benchmark sends straight to the Api.
        foreach (var response in (await SendManyAsync(client, "/products/1.json", 20, token: null, peer: "127.0.0.1", forwardedFor: "127.0.0.1"))
            .Concat(await SendManyAsync(client, "/products/1.json", 20, token: null, peer: "::ffff:127.0.0.1")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // A remote client behind the local Varnish is limited.
        await ExpectLimitedAsync(await SendManyAsync(client, "/products/1.json", 10, token: null, peer: "127.0.0.1", forwardedFor: "198.51.100.9"), burst: 3, "198.51.100.9 via loopback");
    }

    [Fact]
    public async Task With_rate_limits_disabled_nothing_is_limited()
    {
        await using var api = Api(new()
        {
            ["Static:Admin:WriteTokens"] = AdminApiTests.WriteToken,
            ["Static:Api:RateLimits:Enabled"] = "false",
            ["Static:Api:RateLimits:ReadPermitsPerSecond"] = "1",
            ["Static:Api:RateLimits:ReadBurst"] = "1",
            ["Static:Api:RateLimits:AdminPermitsPerSecond"] = "1",
            ["Static:Api:RateLimits:AdminBurst"] = "1",
        });
        using var client = api.CreateClient();
        foreach (var response in (await SendManyAsync(client, "/products/1.json", 10, token: null, peer: "198.51.100.7"))
            .Concat(await SendManyAsync(client, "/admin/config", 10, AdminApiTests.WriteToken, peer: "198.51.100.7")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private ApiFactory Api(Dictionary<string, string?> settings) =>
        new(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], settings,
            services => services.AddSingleton<IStartupFilter>(new PeerFromHeader()));

    private static async Task<List<HttpResponseMessage>> ConcurrentlyAsync(params Task<List<HttpResponseMessage>>[] bursts) => [.. (await Task.WhenAll(bursts)).SelectMany(b => b)];

    /// <summary>Sends <paramref name="count"/> requests at once (well within one replenishment period).</summary>
    private static async Task<List<HttpResponseMessage>> SendManyAsync(HttpClient client, string path, int count, string? token, string peer, string? forwardedFor = null) =>
        [.. await Task.WhenAll(Enumerable.Range(0, count).Select(_ => SendAsync(client, path, token, peer, forwardedFor)))];

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string? token, string peer, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(PeerHeader, peer);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    /// <summary>At most the burst (plus one replenishment, should a tick fall inside) served; the rest 429 with Retry-After and problem details.</summary>
    private static async Task ExpectLimitedAsync(List<HttpResponseMessage> responses, int burst, string who)
    {
        var served = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.True(served >= 1 && served <= burst + 1, $"{who}: {served} of {responses.Count} served with a burst of {burst}");
        Assert.True(served + refused.Count == responses.Count, $"{who}: {string.Join(", ", responses.Select(r => (int)r.StatusCode))}");
        foreach (var response in refused)
        {
            Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, $"{who}: 429 without Retry-After in seconds");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("api.rateLimits", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    /// <summary>Sets the connection's peer address from <see cref="PeerHeader"/>, ahead of the whole pipeline.</summary>
    private sealed class PeerFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext context, RequestDelegate nextMiddleware) =>
            {
                if (IPAddress.TryParse(context.Request.Headers[PeerHeader].ToString(), out var peer))
                {
                    context.Connection.RemoteIpAddress = peer;
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
