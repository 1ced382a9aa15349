using Static.Publisher.Seeding;
using Static.Shared.Catalog;

namespace Static.UnitTests;

public sealed class DemoCatalogGeneratorTests
{
    private static readonly DemoCatalogRequest Request = new(Products: 500, Categories: 12, Seed: 42, Currency: "EUR");

    [Fact]
    public void The_same_request_gives_the_same_catalog()
    {
        var a = Describe(DemoCatalogGenerator.Generate(Request));
        var b = Describe(DemoCatalogGenerator.Generate(Request));
        Assert.Equal(a, b);
    }

    [Fact]
    public void Another_seed_gives_another_catalog() =>
        Assert.NotEqual(Describe(DemoCatalogGenerator.Generate(Request)), Describe(DemoCatalogGenerator.Generate(Request with { Seed = 43 })));

    [Fact]
    public void The_catalog_is_consistent()
    {
        var catalog = DemoCatalogGenerator.Generate(Request);
        Assert.Equal(500, catalog.Products.Count);
        Assert.Equal(12, catalog.Categories.Count);
        Assert.Equal(500, catalog.Stock.Count);

        Assert.All(catalog.Categories, c => Assert.True(Slug.IsValid(c.Slug), c.Slug));
        Assert.All(catalog.Products, p => Assert.True(Slug.IsValid(p.Slug), p.Slug));
        Assert.Equal(catalog.Categories.Count, catalog.Categories.Select(c => c.Slug).Distinct().Count());
        Assert.Equal(catalog.Products.Count, catalog.Products.Select(p => p.Slug).Distinct().Count());

        var categoryIds = catalog.Categories.Select(c => c.Id).ToHashSet();
        Assert.All(catalog.Products, p => Assert.Contains(p.CategoryId, categoryIds));
        Assert.All(catalog.Categories.Where(c => c.ParentId is not null), c => Assert.Contains(c.ParentId!.Value, categoryIds));
        Assert.All(catalog.Products, p => Assert.InRange(p.Price.Amount, 1m, 400m));
        Assert.All(catalog.Products, p => Assert.Equal("EUR", p.Price.Currency));
        Assert.All(catalog.Products, p => Assert.InRange(p.Images.Count, 1, 3));
        Assert.All(catalog.Products, p => Assert.Empty(p.ImageUrls));
        var sources = catalog.ImageSources.Select(s => s.Sha256).ToHashSet();
        Assert.Equal(12 + PlaceholderImages.Alternates, sources.Count);
        Assert.All(catalog.Products.SelectMany(p => p.Images), i => Assert.Contains(i.Sha256, sources));

        var ranks = catalog.Products.Where(p => p.FeaturedRank is not null).Select(p => p.FeaturedRank!.Value).Order().ToList();
        Assert.Equal(Enumerable.Range(1, DemoCatalogGenerator.FeaturedProducts), ranks);
        Assert.All(catalog.Products, p => Assert.True(p.UpdatedAt <= DemoCatalogGenerator.Epoch));
        Assert.Equal("EUR", catalog.SiteConfig.Currency);
        Assert.NotEmpty(catalog.SiteConfig.Navigation);
    }

    [Fact]
    public void A_catalog_smaller_than_the_featured_count_still_generates() =>
        Assert.Equal(3, DemoCatalogGenerator.Generate(Request with { Products = 3 }).Products.Count(p => p.FeaturedRank is not null));

    private static string Describe(CatalogSnapshot catalog) =>
        string.Join('\n', catalog.Categories.Select(c => c.ToString()))
        + string.Join('\n', catalog.Products.Select(p => $"{p} {string.Join(',', p.ImageUrls)} {string.Join(',', p.Images)}"))
        + string.Join('\n', catalog.ImageSources.Select(s => $"{s.Sha256} {s.Width}x{s.Height} {s.Bytes.Length}"))
        + string.Join('\n', catalog.Stock.Select(s => s.ToString()))
        + CatalogJsonContext.Serialize(catalog.SiteConfig);

    [Fact]
    public void Placeholder_images_are_deterministic_valid_jpegs_that_differ_by_seed_and_index()
    {
        var a = PlaceholderImages.Draw(42, 3);
        var b = PlaceholderImages.Draw(42, 3);
        Assert.Equal(a.Bytes, b.Bytes);
        Assert.Equal(Static.Shared.Manifests.ContentHash.Sha256(a.Bytes), a.Sha256);
        Assert.NotEqual(a.Sha256, PlaceholderImages.Draw(42, 4).Sha256);
        Assert.NotEqual(a.Sha256, PlaceholderImages.Draw(43, 3).Sha256);

        var inspected = Static.Templates.Images.ImageCodec.Inspect(a.Bytes, new Static.Templates.Images.ImageLimits(10 << 20, 64, 8000));
        Assert.True(inspected.Valid, inspected.Error);
        Assert.Equal(("image/jpeg", PlaceholderImages.Width, PlaceholderImages.Height), (inspected.ContentType, inspected.Width, inspected.Height));
    }
}
