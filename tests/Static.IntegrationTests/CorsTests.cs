using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Static.Shared.Configuration;

namespace Static.IntegrationTests;

/// <summary>
/// Cross-origin reads from the Api: GET, HEAD and their preflight on the read routes, for any origin (the
/// default, <c>*</c>) or for a list of origins (reflected, <c>Vary: Origin</c>); never on <c>/admin</c>.
/// </summary>
public sealed class CorsTests
{
    private const string Shop = "https://shop.example";

    [Fact]
    public async Task By_default_any_origin_reads_and_its_preflight_passes_without_Vary_but_admin_answers_no_cross_origin_request()
    {
        await using var api = await ApiTests.SeededApiAsync();
        using var client = api.Factory.CreateClient();

        foreach (var path in new[] { "/products/3.json", "/manifest.json", "/categories/x/2.json", "/stock?ids=1" })
        {
            using var preflight = await PreflightAsync(client, path, "https://anyone.example");
            Assert.True(preflight.StatusCode == HttpStatusCode.NoContent, $"preflight {path}: {(int)preflight.StatusCode}");
            Assert.Equal("*", Header(preflight, "Access-Control-Allow-Origin"));
            Assert.Contains("GET", Header(preflight, "Access-Control-Allow-Methods"), StringComparison.Ordinal);
            Assert.Equal("7200", Header(preflight, "Access-Control-Max-Age"));
            Assert.DoesNotContain("Origin", preflight.Headers.Vary);
        }

        using var get = await GetAsync(client, "/products/3.json", "https://anyone.example");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("*", Header(get, "Access-Control-Allow-Origin"));
        Assert.DoesNotContain("Origin", get.Headers.Vary);

        using var adminPreflight = await PreflightAsync(client, "/admin/products/3", "https://anyone.example");
        Assert.Null(Header(adminPreflight, "Access-Control-Allow-Origin"));
        using var adminGet = await GetAsync(client, "/admin/products/3", "https://anyone.example");
        Assert.Equal(HttpStatusCode.Unauthorized, adminGet.StatusCode);
        Assert.Null(Header(adminGet, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task With_a_list_a_listed_origin_is_reflected_with_Vary_Origin_and_another_is_not_allowed()
    {
        await using var api = await ApiTests.SeededApiAsync(services: s => s.PostConfigure<PublishConfig>(c => c.Cors.AllowedOrigins = [Shop]));
        using var client = api.Factory.CreateClient();

        using var preflight = await PreflightAsync(client, "/products/3.json", Shop);
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal(Shop, Header(preflight, "Access-Control-Allow-Origin"));

        using var get = await GetAsync(client, "/products/3.json", Shop);
        Assert.Equal(Shop, Header(get, "Access-Control-Allow-Origin"));
        Assert.Contains("Origin", get.Headers.Vary);

        using var stranger = await PreflightAsync(client, "/products/3.json", "https://elsewhere.example");
        Assert.Null(Header(stranger, "Access-Control-Allow-Origin"));
        using var strangerGet = await GetAsync(client, "/products/3.json", "https://elsewhere.example");
        Assert.Equal(HttpStatusCode.OK, strangerGet.StatusCode);   // the read itself is public; the browser withholds it
        Assert.Null(Header(strangerGet, "Access-Control-Allow-Origin"));
    }

    private static async Task<HttpResponseMessage> PreflightAsync(HttpClient client, string path, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "if-none-match");
        return await client.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Origin", origin);
        return await client.SendAsync(request);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(",", values) : null;
}
