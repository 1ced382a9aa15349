using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Static.IntegrationTests.Infrastructure;

namespace Static.IntegrationTests;

/// <summary>
/// One Chromium and one shop for the whole class: a seeded catalog big enough for a category to have a page 2,
/// published to the test's own bucket behind a Varnish on the generated VCL with the Api process behind it.
/// </summary>
public sealed class StorefrontFixture : IAsyncLifetime
{
    private readonly BrowserFixture browser = new();

    public IBrowser Browser => browser.Browser;

    internal Shop Shop { get; private set; } = null!;

    /// <summary>The category with the most products (more than a listing page's worth, so it has a page 2).</summary>
    public string CategorySlug { get; private set; } = "";

    public long CategoryProducts { get; private set; }

    /// <summary>A product of that category with images (the demo seed gives most products some).</summary>
    public long ProductId { get; private set; }

    public async Task InitializeAsync()
    {
        await browser.InitializeAsync();   // fails loudly naming the fix when /usr/bin/chromium is missing
        Shop = await Shop.StartAsync(serviceWorker: false, products: 120, categories: 2);
        (CategorySlug, CategoryProducts) = await Shop.QuerySingleAsync(
            "select c.slug, count(*) from categories c join products p on p.category_id = c.id group by c.slug order by count(*) desc, c.slug limit 1",
            r => (r.GetString(0), r.GetInt64(1)));
        ProductId = await Shop.QuerySingleAsync(
            "select p.id from products p join categories c on c.id = p.category_id where c.slug = @slug order by cardinality(p.image_urls) desc, p.id limit 1",
            r => r.GetInt64(0), ("slug", CategorySlug));
        var pageSize = Shop.Harness.Config.Catalog.ListingPageSize;
        Assert.True(CategoryProducts > pageSize, $"the seed gave the biggest category {CategoryProducts} products, not more than a page ({pageSize}): seed more");
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
/// The storefront as a shopper's browser sees it (issue 13): on the homepage, a category's page 1, its page 2 (found
/// through page 1's rel=next link, as a browser or crawler would) and a product page — no broken image, no failed
/// request, no console error, no horizontal scroll at 360 px or 1280 px, and no axe-core violation.
/// </summary>
public sealed class StorefrontTests(StorefrontFixture fixture) : IClassFixture<StorefrontFixture>
{
    public static TheoryData<string> Pages => new() { "home", "category", "category-page-2", "product" };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task A_page_has_no_broken_image_and_no_failed_request_or_console_error(string kind)
    {
        await using var context = await NewContextAsync(1280, 800);
        var page = await context.NewPageAsync();
        var url = await UrlOfAsync(page, kind);
        var problems = Problems.Watch(page);
        await OpenAsync(page, url);
        await ScrollThroughAsync(page);   // lazy images load only near the viewport

        // Every image finished (loaded or failed), then each must have pixels.
        await page.WaitForFunctionAsync("() => [...document.images].every(i => i.complete)", null, new() { Timeout = 15_000 });
        var broken = await page.EvaluateAsync<string[]>("""
            () => [...document.images].filter(i => !(i.naturalWidth > 0)).map(i => `${i.currentSrc || i.src} (alt "${i.alt}")`)
            """);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        var report = new StringBuilder();
        if (broken.Length > 0)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"{broken.Length} broken image(s) (complete, naturalWidth 0):").AppendJoin('\n', broken.Select(b => "  " + b)).AppendLine();
        }

        // A browser asks for the page's icon (/favicon.ico when none is declared); headless Chromium does not, Lighthouse
        // and shoppers' browsers do — so ask for it here.
        var icon = await page.EvaluateAsync<string>("() => document.querySelector('link[rel~=icon][href]')?.href ?? new URL('/favicon.ico', location.href).href");
        if (!icon.StartsWith("data:", StringComparison.Ordinal))
        {
            var answer = await page.APIRequest.GetAsync(icon);
            if (answer.Status != 200)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"the page's icon {icon} answered {answer.Status} (declare one with <link rel=\"icon\"> or publish /favicon.ico)");
            }
        }

        var seen = problems.All;
        if (seen.Count > 0)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"{seen.Count} failed request(s) or console error(s):").AppendJoin('\n', seen.Select(p => "  " + p)).AppendLine();
        }

        Assert.True(report.Length == 0, $"{kind} page {url}:\n{report}");
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task A_page_has_no_horizontal_scroll_at_360_and_1280_px(string kind)
    {
        await using var context = await NewContextAsync(1280, 800);
        var page = await context.NewPageAsync();
        var url = await UrlOfAsync(page, kind);
        await OpenAsync(page, url);
        if (kind == "product")
        {
            // The stock badge (filled by the page's script from /stock; its own test is in BrowserClientTests).
            await page.WaitForFunctionAsync("() => document.documentElement.dataset.staticStock === 'true'", null, new() { Timeout = 15_000 });
        }

        var overflows = new StringBuilder();
        foreach (var width in new[] { 1280, 360 })
        {
            await page.SetViewportSizeAsync(width, 800);
            var result = await page.EvaluateAsync<JsonElement>("""
                () => {
                  const root = document.documentElement;
                  const wide = [...document.body.querySelectorAll('*')]
                    .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 0.5)
                    .slice(0, 8)
                    .map((e) => `${e.tagName.toLowerCase()}${e.className ? '.' + String(e.className).trim().replace(/\s+/g, '.') : ''} right=${Math.round(e.getBoundingClientRect().right)}`);
                  return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide };
                }
                """);
            var scrollWidth = result.GetProperty("scrollWidth").GetInt32();
            var clientWidth = result.GetProperty("clientWidth").GetInt32();
            if (scrollWidth > clientWidth)
            {
                overflows.AppendLine(CultureInfo.InvariantCulture, $"at {width} px: scrollWidth {scrollWidth} > clientWidth {clientWidth}; wider than the viewport: {string.Join(", ", result.GetProperty("wide").EnumerateArray().Select(e => e.GetString()))}");
            }

            if (kind == "product")
            {
                var badge = page.Locator("main p.stock");
                Assert.False(string.IsNullOrWhiteSpace(await badge.TextContentAsync()), "the product page's stock badge is empty");
                Assert.True(await badge.IsVisibleAsync(), $"the stock badge is not visible at {width} px");
            }
        }

        Assert.True(overflows.Length == 0, $"{kind} page {url} scrolls sideways:\n{overflows}");
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Axe_reports_no_accessibility_violation_in_light_or_dark_mode(string kind)
    {
        await using var context = await NewContextAsync(1280, 800);
        var page = await context.NewPageAsync();
        var url = await UrlOfAsync(page, kind);
        await OpenAsync(page, url);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);   // the stock badges are content too

        var report = new StringBuilder();
        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            await page.EmulateMediaAsync(new() { ColorScheme = scheme });
            var result = await page.RunAxe();
            Assert.Contains(result.Passes, r => r.Id == "html-has-lang");   // axe did run over the document
            foreach (var violation in result.Violations)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"[{scheme}] {violation.Id} ({violation.Impact}): {violation.Help} — {violation.HelpUrl}");
                foreach (var node in violation.Nodes)
                {
                    var why = string.Join("; ", new[] { node.Any, node.All, node.None }.Where(c => c is not null).SelectMany(c => c!).Select(c => c.Message).Distinct());
                    report.AppendLine(CultureInfo.InvariantCulture, $"    {node.Target}  {node.Html}");
                    if (why.Length > 0)
                    {
                        report.AppendLine(CultureInfo.InvariantCulture, $"      {why}");
                    }
                }
            }
        }

        Assert.True(report.Length == 0, $"axe-core found violations on the {kind} page {url}:\n{report}");
    }

    private async Task<IBrowserContext> NewContextAsync(int width, int height) =>
        await fixture.Browser.NewContextAsync(new() { ViewportSize = new ViewportSize { Width = width, Height = height } });

    /// <summary>Each page's URL; page 2 is found the way a browser or crawler finds it, through page 1's rel=next.</summary>
    private async Task<string> UrlOfAsync(IPage page, string kind)
    {
        var edge = fixture.Shop.Edge;
        var categoryPage1 = edge.Url($"/categories/{fixture.CategorySlug}/1.html");
        switch (kind)
        {
            case "home":
                return edge.Url("/");
            case "category":
                return categoryPage1;
            case "product":
                return edge.Url(string.Create(CultureInfo.InvariantCulture, $"/products/{fixture.ProductId}.html"));
            case "category-page-2":
                await OpenAsync(page, categoryPage1);
                var next = await page.EvaluateAsync<string?>("""
                    () => (document.querySelector('link[rel~=next][href]') ?? document.querySelector('a[rel~=next][href]'))?.href ?? null
                    """);
                Assert.True(next is not null,
                    $"page 1 of category '{fixture.CategorySlug}' ({categoryPage1}) has no <link rel=\"next\"> or <a rel=\"next\"> although the category has "
                    + $"{fixture.CategoryProducts} products and a page holds {fixture.Shop.Harness.Config.Catalog.ListingPageSize}: category pagination (issue 13) is missing");
                var uri = new Uri(next);
                Assert.Equal(fixture.Shop.Edge.Port, uri.Port);
                Assert.Matches($"^/categories/{fixture.CategorySlug}/2(\\.html)?$", uri.AbsolutePath);
                return next;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown page kind");
        }
    }

    private static async Task OpenAsync(IPage page, string url)
    {
        var response = await page.GotoAsync(url);
        Assert.True(response is { Status: 200 }, $"{url} answered {response?.Status.ToString(CultureInfo.InvariantCulture) ?? "nothing"}");
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.staticReady === 'true'", null, new() { Timeout = 15_000 });
        Assert.Null(await page.EvaluateAsync<string?>("() => document.documentElement.dataset.staticError ?? null"));
    }

    /// <summary>Scrolls to the bottom a viewport at a time (so lazy images start), then back to the top.</summary>
    private static async Task ScrollThroughAsync(IPage page) => await page.EvaluateAsync("""
        async () => {
          for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight / 2) {
            scrollTo(0, y);
            await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 20)));
          }
          scrollTo(0, 0);
        }
        """);

    /// <summary>What a shopper's browser would flag: failed requests, answers of 400 and above, console errors.</summary>
    private sealed class Problems
    {
        private readonly ConcurrentQueue<string> seen = new();
        private readonly ConcurrentDictionary<IRequest, int> answered = new();

        public IReadOnlyList<string> All => [.. seen];

        public static Problems Watch(IPage page)
        {
            var problems = new Problems();
            page.Response += (_, r) =>
            {
                problems.answered[r.Request] = r.Status;
                if (r.Status >= 400)
                {
                    problems.seen.Enqueue($"{r.Status} {r.Request.Method} {r.Url} ({r.Request.ResourceType})");
                }
            };
            page.RequestFailed += (_, r) =>
            {
                // Chromium reports a 304 to a no-store fetch as a response and then as failed (ERR_ABORTED, no body
                // follows; see BrowserClientTests): a request that was answered is judged by its status alone.
                if (!problems.answered.ContainsKey(r))
                {
                    problems.seen.Enqueue($"failed {r.Method} {r.Url} ({r.ResourceType}): {r.Failure}");
                }
            };
            page.Console += (_, m) =>
            {
                if (m.Type == "error")
                {
                    problems.seen.Enqueue($"console error: {m.Text} at {m.Location}");
                }
            };
            page.PageError += (_, e) => problems.seen.Enqueue($"uncaught: {e}");
            return problems;
        }
    }
}
