using System.Text.Json;
using Static.Shared.Artifacts;
using Static.Shared.Catalog;
using Static.Templates;

namespace Static.UnitTests;

/// <summary>Every listing page comes from the one renderer: page 2 is page 1's document with another page number.</summary>
public sealed class ListingRenderTests
{
    private static readonly SiteInfo Site = new("Shop", new SiteConfig(null, [], new Dictionary<string, bool>(), "EUR"), ClientSettings.None, PageSettings.Default);
    private static readonly Category Shoes = new(3, "shoes", "Shoes", null, 0, DateTimeOffset.UnixEpoch, 1);

    [Fact]
    public async Task Page_two_has_page_ones_shape()
    {
        var renderer = await ArtifactRenderer.CreateAsync();
        var page1 = await renderer.RenderAsync(new CategoryData(ArtifactPath.CategoryJson(3, "shoes"), Site, Shoes, [Product(1, ["a.jpg"]), Product(2, [])], true));
        var page2 = await renderer.RenderAsync(new CategoryData(ArtifactPath.CategoryJson(3, "shoes", 2), Site, Shoes, [Product(3, []), Product(4, ["b.jpg"])], true));
        var last = await renderer.RenderAsync(new CategoryData(ArtifactPath.CategoryJson(3, "shoes", 3), Site, Shoes, [Product(5, [])], false));

        using var one = JsonDocument.Parse(page1.Body);
        using var two = JsonDocument.Parse(page2.Body);
        using var three = JsonDocument.Parse(last.Body);
        Assert.Equal(Shape(one.RootElement), Shape(two.RootElement));
        Assert.Equal(["category", "page", "products", "next"], one.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, one.RootElement.GetProperty("page").GetInt32());
        Assert.Equal("/categories/shoes/2.json", one.RootElement.GetProperty("next").GetString());
        Assert.Equal(2, two.RootElement.GetProperty("page").GetInt32());
        Assert.Equal("/categories/shoes/3.json", two.RootElement.GetProperty("next").GetString());
        Assert.Equal(JsonValueKind.Null, three.RootElement.GetProperty("next").ValueKind);
        Assert.Equal("/categories/shoes/1.json", two.RootElement.GetProperty("category").GetProperty("url").GetString());
        Assert.Equal("application/json; charset=utf-8", page2.ContentType);
        Assert.Equal(["category:3", "category:3:list", "product:3", "product:4"], page2.DependencyKeys);
    }

    [Fact]
    public async Task Page_one_bytes_are_what_they_were()
    {
        // The published page 1 must not change with the renderer taking pages 2 and on (a change would
        // re-upload every listing once); this is the document the hand-written writer used to match, plus priceText (the site's formatting, issue 13), with "image"
        // the first uploaded image's variants (docs/images.md) since the image pipeline: imageUrls are not rendered.
        var renderer = await ArtifactRenderer.CreateAsync();
        var sha = new string('a', 64);
        var page1 = await renderer.RenderAsync(new CategoryData(ArtifactPath.CategoryJson(3, "shoes"), Site, Shoes,
            [Product(1, ["a.jpg"]) with { Images = [new ProductImage(sha, 500, 250)] }, Product(2, ["b.jpg"])], true));
        var v = $"/_immutable/img/{Static.Shared.Images.ImagePipeline.Default.Token}/{sha}";
        Assert.Equal(
            """{"category":{"id":3,"slug":"shoes","name":"Shoes","url":"/categories/shoes/1.json"},"page":1,"products":[{"id":1,"slug":"p1","name":"Product 1","price":10.50,"currency":"EUR","priceText":"\u20AC10.50","url":"/products/1.json","image":"""
            + $$"""{"src":"{{v}}-320.jpg","srcset":"{{v}}-320.jpg 320w, {{v}}-500.jpg 500w","webpSrcset":"{{v}}-320.webp 320w, {{v}}-500.webp 500w","width":500,"height":250"""
            + "}},"
            + """{"id":2,"slug":"p2","name":"Product 2","price":10.50,"currency":"EUR","priceText":"\u20AC10.50","url":"/products/2.json","image":null}],"next":"/categories/shoes/2.json"}""",
            System.Text.Encoding.UTF8.GetString(page1.Body));
    }

    [Fact]
    public void Page_paths_past_the_first_are_never_parsed_as_published_paths()
    {
        Assert.Equal("/categories/shoes/2.json", ArtifactPath.CategoryJson(3, "shoes", 2).Path);
        Assert.Equal(ArtifactPath.CategoryJson(3, "shoes"), ArtifactPath.CategoryJson(3, "shoes", 1));
        Assert.Null(ArtifactPath.TryParse("/categories/shoes/2.json"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ArtifactPath.CategoryJson(3, "shoes", 0));
    }

    /// <summary>Property names and value kinds, recursively (arrays by their first element).</summary>
    private static string Shape(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", e.EnumerateObject().Select(p => p.Name + ":" + Shape(p.Value))) + "}",
        JsonValueKind.Array => "[" + (e.GetArrayLength() > 0 ? Shape(e[0]) : "") + "]",
        JsonValueKind.Null => "string?",   // "next" and "image" are strings or null
        JsonValueKind.String => "string?",
        _ => e.ValueKind.ToString(),
    };

    private static Product Product(long id, string[] images) =>
        new(id, "p" + id, "Product " + id, "", new Money(10.50m, "EUR"), 3, images, null, DateTimeOffset.UnixEpoch, 1);
}
