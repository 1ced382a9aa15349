using System.Collections;
using Static.Shared.Artifacts;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Templates;

namespace Static.UnitTests;

/// <summary>Prices in the site's locale, the sitemap's cut, and the crawler paths' parsing.</summary>
public sealed class StorefrontFormatTests
{
    [Theory]
    [InlineData("en-IE", "EUR", "1234.5", "€1,234.50")]
    [InlineData("de-DE", "EUR", "1234.5", "1.234,50 €")]
    [InlineData("en-US", "USD", "19.99", "$19.99")]
    [InlineData("en-US", "EUR", "19.99", "€19.99")]        // another currency: its symbol, the locale's layout
    [InlineData("en-GB", "JPY", "1500", "\uffe51,500")]     // and its decimals (ICU gives JPY its full-width sign)
    [InlineData("fr-CH", "CHF", "10", "10.00 CHF")]
    public void A_price_is_written_in_the_locale_with_its_own_currency(string locale, string currency, string amount, string expected) =>
        Assert.Equal(expected, PriceFormat.Format(new Money(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), currency), locale));

    [Fact]
    public void A_locale_that_is_not_a_specific_culture_is_named()
    {
        var error = Assert.Throws<ConfigException>(() => PublishConfigLoader.Load(Write("""{ "site": { "locale": "en" } }"""), new Hashtable()));
        Assert.Contains("site.locale", error.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ConfigException>(() => PublishConfigLoader.Load(Write("""{ "site": { "locale": "xx-nope" } }"""), new Hashtable()));
        Assert.Contains("site.locale", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_base_url_with_a_path_or_trailing_slash_is_named()
    {
        var error = Assert.Throws<ConfigException>(() => PublishConfigLoader.Load(Write("""{ "site": { "baseUrl": "https://shop.example.com/" } }"""), new Hashtable()));
        Assert.Contains("site.baseUrl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sitemap_files_cut_ids_into_fixed_ranges_so_a_new_product_changes_one_file()
    {
        Assert.Equal(0, ArtifactPath.SitemapNumber(1, 50));
        Assert.Equal(0, ArtifactPath.SitemapNumber(50, 50));
        Assert.Equal(1, ArtifactPath.SitemapNumber(51, 50));
        var files = Sitemaps.Files([1, 2], [1, 2, 120], 50).Select(p => p.Path);
        Assert.Equal(["/sitemaps/pages-0.xml", "/sitemaps/products-0.xml", "/sitemaps/products-2.xml"], files);
        Assert.Equal(["/sitemaps/pages-0.xml"], Sitemaps.Files([], [], 50).Select(p => p.Path));   // the home page is always listed
    }

    [Theory]
    [InlineData("/robots.txt", ArtifactKind.RobotsTxt, "text/plain; charset=utf-8")]
    [InlineData("/sitemap.xml", ArtifactKind.SitemapIndex, "application/xml; charset=utf-8")]
    [InlineData("/sitemaps/products-12.xml", ArtifactKind.Sitemap, "application/xml; charset=utf-8")]
    [InlineData("/sitemaps/pages-0.xml", ArtifactKind.Sitemap, "application/xml; charset=utf-8")]
    public void Crawler_paths_parse_with_their_content_types(string path, ArtifactKind kind, string contentType)
    {
        var parsed = ArtifactPath.TryParse(path);
        Assert.NotNull(parsed);
        Assert.Equal(kind, parsed.Kind);
        Assert.Equal(contentType, parsed.ContentType);
        Assert.Equal(path, parsed.Path);
    }

    [Theory]
    [InlineData("/sitemaps/products-01.xml")]
    [InlineData("/sitemaps/orders-1.xml")]
    [InlineData("/sitemaps/products--1.xml")]
    [InlineData("/categories/shoes/2.html")]
    public void Other_paths_are_not_published_artifacts(string path) => Assert.Null(ArtifactPath.TryParse(path));

    [Fact]
    public void A_description_is_cut_at_a_word_within_160_characters()
    {
        var text = string.Join(' ', Enumerable.Repeat("teapot", 40));
        var cut = SeoHead.Shorten(text);
        Assert.True(cut.Length <= 160, cut);
        Assert.EndsWith("teapot…", cut, StringComparison.Ordinal);
        Assert.Equal("short  text".Replace("  ", " ", StringComparison.Ordinal), SeoHead.Shorten("short \n text"));
    }

    private static string Write(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"static-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }
}
