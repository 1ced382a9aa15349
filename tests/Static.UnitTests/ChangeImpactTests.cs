using Static.Shared.Artifacts;
using Static.Shared.Catalog;

namespace Static.UnitTests;

/// <summary>What a change affects: the one rule the Api's eviction and the publisher's plan both apply.</summary>
public sealed class ChangeImpactTests
{
    private const long Id = 12;

    [Fact]
    public void A_rename_or_a_price_change_touches_only_the_product()
    {
        // Same placement before and after: the pages that show it carry its key.
        Assert.Equal(["product:12"], ChangeImpact.OfProduct(Id, new(3, null), new(3, null)));
        Assert.Equal(["product:12"], ChangeImpact.OfProduct(Id, new(3, 5), new(3, 5)));   // featured, same rank
    }

    [Fact]
    public void A_move_between_categories_touches_both_listings()
    {
        Assert.Equal(["category:3:list", "category:4:list", "product:12"], ChangeImpact.OfProduct(Id, new(3, null), new(4, null)));
    }

    [Fact]
    public void A_featured_product_that_moves_category_keeping_its_rank_does_not_touch_featured()
    {
        Assert.Equal(["category:3:list", "category:4:list", "product:12"], ChangeImpact.OfProduct(Id, new(3, 2), new(4, 2)));
    }

    [Fact]
    public void Into_or_out_of_the_featured_set_touches_featured_not_the_category_listing()
    {
        Assert.Equal(["featured", "product:12"], ChangeImpact.OfProduct(Id, new(3, null), new(3, 1)));
        Assert.Equal(["featured", "product:12"], ChangeImpact.OfProduct(Id, new(3, 1), new(3, null)));
    }

    [Fact]
    public void A_new_rank_within_the_featured_set_touches_featured()
    {
        Assert.Equal(["featured", "product:12"], ChangeImpact.OfProduct(Id, new(3, 1), new(3, 7)));
    }

    [Fact]
    public void A_featured_product_whose_earlier_rank_was_not_recorded_touches_featured()
    {
        // The publisher records listings, not ranks: any change to a featured product may have moved it.
        Assert.Equal(["featured", "product:12"], ChangeImpact.OfProduct(Id, ProductPlacement.FeaturedAtUnrecordedRank(3), new(3, 1)));
        Assert.Equal(["product:12"], ChangeImpact.OfProduct(Id, new(3, null), new(3, null)));
    }

    [Fact]
    public void A_created_product_touches_the_listings_it_joins()
    {
        Assert.Equal(["category:3:list", "product:12", "sitemap"], ChangeImpact.OfProduct(Id, null, new(3, null)));
        Assert.Equal(["category:3:list", "featured", "product:12", "sitemap"], ChangeImpact.OfProduct(Id, null, new(3, 4)));
    }

    [Fact]
    public void A_deleted_product_touches_the_listings_it_leaves()
    {
        Assert.Equal(["category:3:list", "product:12", "sitemap"], ChangeImpact.OfProduct(Id, new(3, null), null));
        Assert.Equal(["category:3:list", "featured", "product:12", "sitemap"], ChangeImpact.OfProduct(Id, new(3, 4), null));
        Assert.Equal(["category:3:list", "featured", "product:12", "sitemap"], ChangeImpact.OfProduct(Id, ProductPlacement.FeaturedAtUnrecordedRank(3), null));
    }

    [Fact]
    public void The_config_touches_config()
    {
        Assert.Equal(["config"], ChangeImpact.OfConfig());
        Assert.Equal(["config"], ChangeImpact.Of("config", null, null));
    }

    [Fact]
    public void A_category_rename_or_tree_change_touches_the_category_its_listing_and_the_tree()
    {
        Assert.Equal(["categories", "category:3", "category:3:list"], ChangeImpact.OfCategory(3));
        Assert.Equal(["categories", "category:3", "category:3:list"], ChangeImpact.Of("category:3", null, null));
    }

    [Fact]
    public void The_key_form_dispatches_to_the_same_rule()
    {
        Assert.Equal(ChangeImpact.OfProduct(Id, new(3, null), new(4, 1)), ChangeImpact.Of("product:12", new(3, null), new(4, 1)));
        Assert.Equal(["something:else"], ChangeImpact.Of("something:else", null, null));
    }

    [Fact]
    public void Listing_keys_read_back_to_the_placement_the_publisher_compares()
    {
        Assert.Equal(["category:3:list"], ChangeImpact.ListingKeys(new(3, null)));
        Assert.Equal(["category:3:list", "featured"], ChangeImpact.ListingKeys(new(3, 9)));
        Assert.Equal(new ProductPlacement(3, null), ProductPlacement.FromListingKeys(["category:3:list"]));
        Assert.Equal(ProductPlacement.FeaturedAtUnrecordedRank(3), ProductPlacement.FromListingKeys(["category:3:list", "featured"]));
        Assert.Null(ProductPlacement.FromListingKeys([]));
    }

    [Fact]
    public void A_rename_reaches_exactly_the_listing_pages_that_show_the_product_published_or_not()
    {
        var site = new SiteInfo("Shop", new SiteConfig(null, [], new Dictionary<string, bool>(), "EUR"), ClientSettings.None, PageSettings.Default);
        var category = new Category(3, "shoes", "Shoes", null, 0, DateTimeOffset.UnixEpoch, 1);
        var page1 = new CategoryData(ArtifactPath.CategoryJson(3, "shoes"), site, category, [Product(11), Product(12)], true);
        var page2 = new CategoryData(ArtifactPath.CategoryJson(3, "shoes", 2), site, category, [Product(13), Product(14)], false);

        var rename13 = ChangeImpact.OfProduct(13, new(3, null), new(3, null));
        Assert.Empty(rename13.Intersect(page1.DependencyKeys()));
        Assert.NotEmpty(rename13.Intersect(page2.DependencyKeys()));

        // A membership change reaches every page through the query key, shown or not.
        var created = ChangeImpact.OfProduct(15, null, new(3, null));
        Assert.NotEmpty(created.Intersect(page1.DependencyKeys()));
        Assert.NotEmpty(created.Intersect(page2.DependencyKeys()));
    }

    [Fact]
    public void When_the_edge_tags_are_capped_the_listing_query_key_still_covers_the_products()
    {
        var site = new SiteInfo("Shop", new SiteConfig(null, [], new Dictionary<string, bool>(), "EUR"), ClientSettings.None, PageSettings.Default);
        var category = new Category(3, "shoes", "Shoes", null, 0, DateTimeOffset.UnixEpoch, 1);
        var page = new CategoryData(ArtifactPath.CategoryJson(3, "shoes", 2), site, category, [.. Enumerable.Range(100, 60).Select(i => Product(i))], true);
        var keys = page.DependencyKeys();
        Assert.Contains("product:159", keys);   // the dependency keys (the Api's eviction tags, the publisher's index) are uncapped

        var tags = SurrogateKeys.For(page.Path, keys);
        Assert.True(tags.Count <= SurrogateKeys.MaxTags);
        Assert.Equal("path:/categories/shoes/2.json", tags[0]);
        Assert.Contains("category:3:list", tags);
        Assert.DoesNotContain("product:159", tags);
    }

    private static Product Product(long id) =>
        new(id, "p" + id, "Product " + id, "", new Money(10m, "EUR"), 3, [], null, DateTimeOffset.UnixEpoch, 1);
}
