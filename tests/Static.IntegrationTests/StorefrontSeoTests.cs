using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using System.Xml.Schema;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Publishing;
using Static.Shared.Catalog;

namespace Static.IntegrationTests;

/// <summary>
/// What search engines read, published by the real publisher into s3rver from a real catalog: robots.txt, the sitemap
/// index and its files (validated against the sitemaps.org schema), canonical links, OpenGraph and JSON-LD; and the
/// category pages 2 and on that the Api renders as HTML through the same template.
/// </summary>
public sealed partial class StorefrontSeoTests
{
    private const string Ns = "http://www.sitemaps.org/schemas/sitemap/0.9";

    [Fact]
    public async Task The_sitemap_index_and_its_files_validate_and_list_every_product_and_category_page_exactly_once_with_lastmod()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 130, categories: 5);
        await using var harness = await PublisherHarness.CreateAsync(servers, configure: c => c.Site.SitemapUrlsPerFile = 50);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var baseUrl = harness.Config.Site.BaseUrl;

        var robots = await TextAsync(harness, "robots.txt");
        Assert.Contains($"Sitemap: {baseUrl}/sitemap.xml", robots, StringComparison.Ordinal);
        Assert.Contains("Disallow: /admin/", robots, StringComparison.Ordinal);

        var index = await XmlAsync(harness, "sitemap.xml", "siteindex.xsd");
        var files = index.Descendants(XName.Get("loc", Ns)).Select(e => e.Value).ToList();
        Assert.Equal([$"{baseUrl}/sitemaps/pages-0.xml", $"{baseUrl}/sitemaps/products-0.xml", $"{baseUrl}/sitemaps/products-1.xml", $"{baseUrl}/sitemaps/products-2.xml"], files);

        var listed = new List<(string Loc, string? LastMod)>();
        foreach (var file in files)
        {
            var sitemap = await XmlAsync(harness, file[(baseUrl.Length + 1)..], "sitemap.xsd");
            var urls = sitemap.Descendants(XName.Get("url", Ns)).ToList();
            Assert.InRange(urls.Count, 1, 50);
            listed.AddRange(urls.Select(u => (u.Element(XName.Get("loc", Ns))!.Value, u.Element(XName.Get("lastmod", Ns))?.Value)));
        }

        var products = await ProductsAsync(servers);
        var categories = await ScalarsAsync(servers, "select slug from categories order by id");
        var expected = new[] { baseUrl + "/" }
            .Concat(categories.Select(slug => $"{baseUrl}/categories/{slug}/1.html"))
            .Concat(products.Keys.Select(id => $"{baseUrl}/products/{id}.html"))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, listed.Select(u => u.Loc).Order(StringComparer.Ordinal).ToList());   // every page, each once

        var someProduct = products.Keys.First();
        var lastmod = listed.Single(u => u.Loc == $"{baseUrl}/products/{someProduct}.html").LastMod;
        Assert.Equal(products[someProduct], DateTimeOffset.Parse(lastmod!, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_new_product_enters_its_sitemap_file_at_the_next_publish_and_nothing_else_about_the_sitemap_is_rewritten()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 60, categories: 3);
        await using var harness = await PublisherHarness.CreateAsync(servers, configure: c => c.Site.SitemapUrlsPerFile = 50);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);

        long newId;
        await using (var insert = servers.Database.DataSource.CreateCommand(
            """
            insert into products (id, slug, name, description, price_amount, currency, category_id, image_urls)
            select 61, 'sitemap-newcomer', 'Sitemap Newcomer', 'New.', 9.99, 'EUR', min(id), '{}' from categories
            returning id
            """))
        {
            newId = (long)(await insert.ExecuteScalarAsync())!;
        }

        var result = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Contains("sitemaps/products-1.xml", result.ObjectKeysWritten);
        Assert.DoesNotContain("sitemaps/products-0.xml", result.ObjectKeysWritten);
        Assert.DoesNotContain("sitemaps/pages-0.xml", result.ObjectKeysWritten);
        Assert.DoesNotContain("sitemap.xml", result.ObjectKeysWritten);   // products-1 already existed
        var file = await TextAsync(harness, "sitemaps/products-1.xml");
        Assert.Contains($"/products/{newId}.html</loc>", file, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_product_page_carries_its_canonical_url_opengraph_a_formatted_price_and_json_ld_with_price_and_currency()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 20, categories: 2);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var (id, name, amount, currency) = await FirstProductAsync(servers);

        var html = await TextAsync(harness, $"products/{id}.html");
        var canonical = $"{harness.Config.Site.BaseUrl}/products/{id}.html";
        Assert.Contains($"<link rel=\"canonical\" href=\"{canonical}\">", html, StringComparison.Ordinal);
        Assert.Contains($"<meta property=\"og:url\" content=\"{canonical}\">", html, StringComparison.Ordinal);
        Assert.Contains("<meta property=\"og:type\" content=\"product\">", html, StringComparison.Ordinal);
        Assert.Matches("<meta name=\"description\" content=\"[^\"]{10,}\">", html);
        var price = PriceFormat.Format(new Money(amount, currency), harness.Config.Site.Locale);
        var shown = Regex.Match(html, $"data-field=\"price\" data-currency=\"{currency}\">([^<]*)<");
        Assert.Equal(price, WebUtility.HtmlDecode(shown.Groups[1].Value));

        var script = JsonLd().Match(html);
        Assert.True(script.Success, "no JSON-LD script on the product page");
        using var ld = JsonDocument.Parse(script.Groups[1].Value);
        Assert.Equal("Product", ld.RootElement.GetProperty("@type").GetString());
        Assert.Equal(name, ld.RootElement.GetProperty("name").GetString());
        var offer = ld.RootElement.GetProperty("offers");
        Assert.Equal(amount, decimal.Parse(offer.GetProperty("price").GetString()!, CultureInfo.InvariantCulture));
        Assert.Equal(currency, offer.GetProperty("priceCurrency").GetString());
    }

    [Fact]
    public async Task The_api_serves_category_page_two_as_html_through_the_same_template_with_prev_and_next_and_404s_past_the_end()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 130, categories: 1);
        string baseUrl;
        await using (var harness = await PublisherHarness.CreateAsync(servers))
        {
            await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
            baseUrl = harness.Config.Site.BaseUrl;
        }

        var slug = (await ScalarsAsync(servers, "select slug from categories")).Single();
        await using var api = new ApiFactory(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12]);
        using var client = api.CreateClient();

        var first = await client.GetStringAsync($"/categories/{slug}/1.html");
        Assert.Contains($"<link rel=\"next\" href=\"/categories/{slug}/2.html\">", first, StringComparison.Ordinal);
        Assert.DoesNotContain("rel=\"prev\"", first, StringComparison.Ordinal);

        using var second = await client.GetAsync($"/categories/{slug}/2.html");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("text/html; charset=utf-8", second.Content.Headers.ContentType?.ToString());
        var page2 = await second.Content.ReadAsStringAsync();
        Assert.Contains($"<a rel=\"prev\" href=\"/categories/{slug}/1.html\">", page2, StringComparison.Ordinal);
        Assert.Contains($"<a rel=\"next\" href=\"/categories/{slug}/3.html\">", page2, StringComparison.Ordinal);   // 130 products, 40 a page
        Assert.Contains($"<link rel=\"canonical\" href=\"{baseUrl}/categories/{slug}/2.html\">", page2, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"static-data\"", page2, StringComparison.Ordinal);   // not published: nothing to verify
        Assert.Equal(40, ListItems().Count(page2));
        Assert.Contains("page 2", page2, StringComparison.Ordinal);
        Assert.NotNull(second.Headers.ETag);

        var fourth = await client.GetStringAsync($"/categories/{slug}/4.html");
        Assert.DoesNotContain("rel=\"next\"", fourth, StringComparison.Ordinal);
        Assert.Equal(10, ListItems().Count(fourth));

        using var fifth = await client.GetAsync($"/categories/{slug}/5.html");
        Assert.Equal(HttpStatusCode.NotFound, fifth.StatusCode);
        Assert.Contains("<h1>Not found</h1>", await fifth.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<string> TextAsync(PublisherHarness harness, string key)
    {
        var stored = await harness.S3.GetAsync(key, CancellationToken.None);
        Assert.True(stored is not null, $"{key} was not published");
        return Encoding.UTF8.GetString(stored.Body);
    }

    private static async Task<XDocument> XmlAsync(PublisherHarness harness, string key, string schema)
    {
        var schemas = new XmlSchemaSet();
        schemas.Add(Ns, Path.Combine(AppContext.BaseDirectory, "Schemas", schema));
        var errors = new List<string>();
        var document = XDocument.Parse(await TextAsync(harness, key));
        document.Validate(schemas, (_, e) => errors.Add($"{key}: {e.Severity}: {e.Message}"));
        Assert.Empty(errors);
        return document;
    }

    private static async Task<Dictionary<long, DateTimeOffset>> ProductsAsync(IsolatedServers servers)
    {
        await using var command = servers.Database.DataSource.CreateCommand("select id, updated_at from products order by id");
        await using var reader = await command.ExecuteReaderAsync();
        var products = new Dictionary<long, DateTimeOffset>();
        while (await reader.ReadAsync())
        {
            products[reader.GetInt64(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        }

        return products;
    }

    private static async Task<(long Id, string Name, decimal Amount, string Currency)> FirstProductAsync(IsolatedServers servers)
    {
        await using var command = servers.Database.DataSource.CreateCommand("select id, name, price_amount, currency from products order by id limit 1");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0), reader.GetString(1), reader.GetDecimal(2), reader.GetString(3));
    }

    private static async Task<List<string>> ScalarsAsync(IsolatedServers servers, string sql)
    {
        await using var command = servers.Database.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var list = new List<string>();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }

    [GeneratedRegex("<script type=\"application/ld\\+json\">(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex JsonLd();

    [GeneratedRegex("<li data-product=\"[0-9]+\"")]
    private static partial Regex ListItems();
}
