using Microsoft.Playwright;
using Static.IntegrationTests.Infrastructure;
using Static.Shared.Configuration;

namespace Static.IntegrationTests;

/// <summary>One Chromium and one shop with the Service Worker on, behind a Varnish on the generated VCL.</summary>
public sealed class StorefrontSecurityFixture : IAsyncLifetime
{
    private readonly BrowserFixture browser = new();

    public IBrowser Browser => browser.Browser;

    internal Shop Shop { get; private set; } = null!;

    public string CategorySlug { get; private set; } = "";

    public long ProductId { get; private set; }

    public async Task InitializeAsync()
    {
        await browser.InitializeAsync();
        Shop = await Shop.StartAsync(serviceWorker: true, products: 100, categories: 2);
        CategorySlug = await Shop.QuerySingleAsync(
            "select c.slug from categories c join products p on p.category_id = c.id group by c.slug order by count(*) desc, c.slug limit 1", r => r.GetString(0));
        ProductId = await Shop.QuerySingleAsync("select min(id) from products", r => r.GetInt64(0));
    }

    public async Task DisposeAsync()
    {
        if (Shop is not null)
        {
            await Shop.DisposeAsync();
        }

        await browser.DisposeAsync();
    }
}

/// <summary>
/// The pages' Content-Security-Policy as a browser enforces it (issue 14): every page through the edge carries it,
/// breaks none of its rules, runs its module and registers its Service Worker, and may read the Api's base URL.
/// </summary>
public sealed class StorefrontSecurityTests(StorefrontSecurityFixture fixture) : IClassFixture<StorefrontSecurityFixture>
{
    /// <summary>Runs before any script of the page (Playwright injects it outside the page's CSP): records each violation.</summary>
    private const string RecordViolations = """
        window.__violations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.effectiveDirective} blocked ${e.blockedURI}`));
        """;

    [Fact]
    public async Task Pages_through_the_edge_break_no_CSP_rule_run_their_module_and_register_the_Service_Worker()
    {
        await using var context = await fixture.Browser.NewContextAsync();
        await context.AddInitScriptAsync(RecordViolations);
        var page = await context.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                console.Add(message.Text);
            }
        };
        var edge = fixture.Shop.Edge;
        var expected = SecurityHeaders.ContentSecurityPolicy(fixture.Shop.Harness.Config);
        Assert.Contains(fixture.Shop.Harness.Config.Client.ApiBaseUrl, expected, StringComparison.Ordinal);

        foreach (var path in new[] { "/", $"/categories/{fixture.CategorySlug}/1.html", $"/categories/{fixture.CategorySlug}/2.html", $"/products/{fixture.ProductId}.html" })
        {
            var response = await page.GotoAsync(edge.Url(path));
            Assert.True(response is { Status: 200 }, $"{path} answered {response?.Status}");
            var headers = await response!.AllHeadersAsync();
            Assert.Equal(expected, headers.GetValueOrDefault("content-security-policy"));
            Assert.Equal("nosniff", headers.GetValueOrDefault("x-content-type-options"));
            Assert.Equal("strict-origin-when-cross-origin", headers.GetValueOrDefault("referrer-policy"));

            // The module ran (it marks the page ready), under the policy.
            await page.WaitForFunctionAsync("() => document.documentElement.dataset.staticReady === 'true'", null, new() { Timeout = 15_000 });
            Assert.Null(await page.EvaluateAsync<string?>("() => document.documentElement.dataset.staticError ?? null"));
            if (path == "/")
            {
                var worker = await page.EvaluateAsync<string>("async () => (await navigator.serviceWorker.ready).active.scriptURL");
                Assert.Equal(edge.Url("/sw.js"), worker);
            }

            // A reload is served through the Service Worker, under the same policy.
            await page.ReloadAsync();
            await page.WaitForFunctionAsync("() => document.documentElement.dataset.staticReady === 'true'", null, new() { Timeout = 15_000 });
            Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__violations"));
        }

        // The Api's base URL may be read (the module's fallback when the edge fails): connect-src allows it.
        var apiRead = await page.EvaluateAsync<int>("async () => (await fetch(document.querySelector('meta[name=static-api]').content + '/manifest.json', { mode: 'cors' })).status");
        Assert.Equal(200, apiRead);
        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__violations"));
        Assert.Empty(console);

        // The 404 page carries the policy too.
        var missing = await page.GotoAsync(edge.Url("/no/such/page"));
        Assert.Equal(404, missing?.Status);
        Assert.Equal(expected, (await missing!.AllHeadersAsync()).GetValueOrDefault("content-security-policy"));
        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__violations"));
    }

    /// <summary>The check above can fail: a read of an origin the policy does not name is blocked and recorded.</summary>
    [Fact]
    public async Task A_read_of_an_origin_the_policy_does_not_name_is_blocked_and_recorded()
    {
        await using var context = await fixture.Browser.NewContextAsync();
        await context.AddInitScriptAsync(RecordViolations);
        var page = await context.NewPageAsync();
        await page.GotoAsync(fixture.Shop.Edge.Url($"/products/{fixture.ProductId}.html"));
        var outcome = await page.EvaluateAsync<string>("async () => { try { await fetch('http://127.0.0.1:9/elsewhere'); return 'sent'; } catch { return 'blocked'; } }");
        Assert.Equal("blocked", outcome);
        await page.WaitForFunctionAsync("() => window.__violations.length > 0", null, new() { Timeout = 5_000 });
        Assert.Contains(await page.EvaluateAsync<string[]>("() => window.__violations"), v => v.StartsWith("connect-src blocked http://127.0.0.1:9", StringComparison.Ordinal));
    }
}
