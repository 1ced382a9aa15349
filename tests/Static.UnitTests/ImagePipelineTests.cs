using System.Text;
using System.Text.Json;
using Static.Shared.Artifacts;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Shared.Images;
using Static.Templates;

namespace Static.UnitTests;

/// <summary>The image pipeline's naming and sizing rules, and how pages and JSON reference variants.</summary>
public sealed class ImagePipelineTests
{
    private const string Sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static readonly ImagePipeline Pipeline = ImagePipeline.Default;

    [Theory]
    [InlineData(2000, 1500, "320x240 640x480 960x720")]
    [InlineData(960, 720, "320x240 640x480 960x720")]
    [InlineData(961, 500, "320x166 640x333 960x499")]
    [InlineData(800, 600, "320x240 640x480 800x600")]
    [InlineData(640, 480, "320x240 640x480")]
    [InlineData(500, 1000, "320x640 500x1000")]
    [InlineData(200, 100, "200x100")]
    [InlineData(64, 64, "64x64")]
    public void Sizes_are_never_upscaled_and_keep_the_aspect_ratio(int width, int height, string expected) =>
        Assert.Equal(expected, string.Join(' ', Pipeline.Sizes(width, height).Select(s => $"{s.Width}x{s.Height}")));

    [Fact]
    public void Variant_urls_are_named_by_the_source_the_width_and_the_pipeline()
    {
        var image = new ProductImage(Sha, 800, 600);
        var variants = Pipeline.Variants(image);
        Assert.Equal(6, variants.Count);
        Assert.Equal($"_immutable/img/v{ImagePipeline.Version}-q80-82/{Sha}-320.webp", variants[0].Key);
        Assert.Equal($"/_immutable/img/v{ImagePipeline.Version}-q80-82/{Sha}-800.jpg", variants[^1].Url);
        Assert.Equal("image/webp", variants[0].ContentType);
        Assert.Equal("image/jpeg", variants[^1].ContentType);
        Assert.Equal(variants.Count, variants.Select(v => v.Key).Distinct().Count());
        Assert.Equal($"/_immutable/img/{Pipeline.Token}/{Sha}-320.webp 320w, /_immutable/img/{Pipeline.Token}/{Sha}-640.webp 640w, /_immutable/img/{Pipeline.Token}/{Sha}-800.webp 800w",
            Pipeline.Srcset(image, VariantFormat.Webp));
        Assert.Equal($"/_immutable/img/{Pipeline.Token}/{Sha}-640.jpg", Pipeline.Fallback(image).Url);
        Assert.Equal((800, 600), Pipeline.DisplaySize(image));
    }

    [Fact]
    public void Another_quality_is_another_url_and_other_widths_keep_the_token()
    {
        Assert.NotEqual(Pipeline.Token, (Pipeline with { WebpQuality = 70 }).Token);
        Assert.NotEqual(Pipeline.Token, (Pipeline with { JpegQuality = 90 }).Token);
        Assert.Equal(Pipeline.Token, (Pipeline with { Widths = [400, 800] }).Token);
    }

    [Fact]
    public void Variant_urls_parse_back_and_nothing_else_does()
    {
        Assert.True(Pipeline.TryParseUrl($"/_immutable/img/{Pipeline.Token}/{Sha}-640.webp", out var sha, out var width, out var format));
        Assert.Equal((Sha, 640, VariantFormat.Webp), (sha, width, format));
        Assert.True(Pipeline.TryParseUrl($"/_immutable/img/{Pipeline.Token}/{Sha}-320.jpg", out _, out _, out format));
        Assert.Equal(VariantFormat.Jpeg, format);
        foreach (var bad in new[]
        {
            $"/_immutable/img/v0-q80-82/{Sha}-640.webp", $"/_immutable/img/{Pipeline.Token}/{Sha}-0640.webp", $"/_immutable/img/{Pipeline.Token}/{Sha.ToUpperInvariant()}-640.webp",
            $"/_immutable/img/{Pipeline.Token}/{Sha}-640.png", $"/_immutable/img/{Pipeline.Token}/{Sha}-640.webp?x", $"/_immutable/img/{Pipeline.Token}/../{Sha}-640.webp", "/_immutable/img/", "",
        })
        {
            Assert.False(Pipeline.TryParseUrl(bad, out _, out _, out _), bad);
        }
    }

    [Fact]
    public void The_widths_setting_is_validated_by_name()
    {
        Assert.Equal([320, 640, 960], new ImagesSection().EffectiveWidths());
        foreach (var widths in new List<int>[] { [640, 320], [320, 320], [8], [1, 2, 3, 4, 5, 6, 7], [5000] })
        {
            var config = new PublishConfig();
            config.Images.Widths = widths;
            var error = Assert.Throws<ConfigException>(() => PublishConfigBinding.Validate(config));
            Assert.Contains("images.widths", error.Message, StringComparison.Ordinal);
        }

        var good = new PublishConfig();
        good.Images.Widths = [200, 400];
        PublishConfigBinding.Validate(good);
        Assert.Equal([200, 400], ImagePipeline.From(good.Images).Widths);
    }

    [Fact]
    public async Task Listing_items_carry_a_picture_with_the_same_markup_static_js_builds()
    {
        var renderer = await ArtifactRenderer.CreateAsync();
        var site = new SiteInfo("Shop", new SiteConfig(null, [], new Dictionary<string, bool>(), "EUR"), ClientSettings.None, PageSettings.Default);
        var category = new Category(3, "shoes", "Shoes", null, 0, DateTimeOffset.UnixEpoch, 1);
        var products = Enumerable.Range(1, 6).Select(i => Product(i, i == 2 ? [] : [new ProductImage(Sha, 1200, 900)])).ToList();
        var html = Encoding.UTF8.GetString((await renderer.RenderAsync(new CategoryData(ArtifactPath.CategoryHtml(category), site, category, products, false))).Body);

        var t = Pipeline.Token;
        Assert.Contains(
            $"""<li data-product="1"><picture><source type="image/webp" srcset="/_immutable/img/{t}/{Sha}-320.webp 320w, /_immutable/img/{t}/{Sha}-640.webp 640w, /_immutable/img/{t}/{Sha}-960.webp 960w" sizes="{PictureModel.ThumbnailSizes}">"""
            + $"""<img src="/_immutable/img/{t}/{Sha}-640.jpg" srcset="/_immutable/img/{t}/{Sha}-320.jpg 320w, /_immutable/img/{t}/{Sha}-640.jpg 640w, /_immutable/img/{t}/{Sha}-960.jpg 960w" sizes="{PictureModel.ThumbnailSizes}" width="960" height="720" alt="Product &lt;1&gt;" loading="eager" decoding="async"></picture><a href="/products/1.html">""",
            html, StringComparison.Ordinal);
        Assert.Contains("""<li data-product="2"><a href="/products/2.html">""", html, StringComparison.Ordinal);
        Assert.Contains("""alt="Product &lt;5&gt;" loading="lazy" decoding="async"></picture><a href="/products/5.html">""", html, StringComparison.Ordinal);
        Assert.DoesNotContain("fetchpriority", html, StringComparison.Ordinal);

        using var json = JsonDocument.Parse((await renderer.RenderAsync(new CategoryData(ArtifactPath.CategoryJson(category), site, category, products, false))).Body);
        var image = json.RootElement.GetProperty("products")[0].GetProperty("image");
        Assert.Equal(["src", "srcset", "webpSrcset", "width", "height"], image.EnumerateObject().Select(p => p.Name));
        Assert.Equal($"/_immutable/img/{t}/{Sha}-640.jpg", image.GetProperty("src").GetString());
        Assert.Equal(960, image.GetProperty("width").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("products")[1].GetProperty("image").ValueKind);
    }

    [Fact]
    public async Task A_product_page_shows_a_gallery_first_image_eager_with_high_priority_and_never_an_image_url()
    {
        var renderer = await ArtifactRenderer.CreateAsync();
        var site = new SiteInfo("Shop", new SiteConfig(null, [], new Dictionary<string, bool>(), "EUR"), ClientSettings.None, PageSettings.Default);
        var category = new Category(3, "shoes", "Shoes", null, 0, DateTimeOffset.UnixEpoch, 1);
        var other = new string('b', 64);
        var product = Product(7, [new ProductImage(Sha, 1200, 900), new ProductImage(other, 500, 500)]) with { ImageUrls = ["/images/products/7-1.jpg"] };
        var html = Encoding.UTF8.GetString((await renderer.RenderAsync(new ProductData(ArtifactPath.ProductHtml(7), site, product, category))).Body);

        Assert.Contains("""<div class="gallery">""", html, StringComparison.Ordinal);
        Assert.Contains("""alt="Product &lt;7&gt;" loading="eager" decoding="async" fetchpriority="high"></picture>""", html, StringComparison.Ordinal);
        Assert.Contains("""width="500" height="500" alt="Product &lt;7&gt; (image 2 of 2)" loading="lazy" decoding="async"></picture>""", html, StringComparison.Ordinal);
        Assert.DoesNotContain("/images/products/", html, StringComparison.Ordinal);

        using var json = JsonDocument.Parse((await renderer.RenderAsync(new ProductData(ArtifactPath.ProductJson(7), site, product, category))).Body);
        Assert.Equal(2, json.RootElement.GetProperty("images").GetArrayLength());
        Assert.Equal($"/_immutable/img/{Pipeline.Token}/{other}-320.jpg", json.RootElement.GetProperty("images")[1].GetProperty("src").GetString());
    }

    private static Product Product(long id, ProductImage[] images) =>
        new Product(id, "p" + id, $"Product <{id}>", "", new Money(10.50m, "EUR"), 3, [], null, DateTimeOffset.UnixEpoch, 1) { Images = images };
}
