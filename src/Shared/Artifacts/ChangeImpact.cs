using System.Globalization;

namespace Static.Shared.Artifacts;

/// <summary>
/// Where a product stands in the listings: the category whose listing shows it and its featured rank
/// (null: not featured). <see cref="FeaturedAtUnrecordedRank"/> is a featured product whose rank is not
/// known (the publisher records the listings a product was in, not its rank).
/// </summary>
public sealed record ProductPlacement(long CategoryId, int? FeaturedRank)
{
    /// <summary>Featured, at a rank nobody recorded: any change to the product may have moved it.</summary>
    public bool RankUnrecorded { get; private init; }

    public bool IsFeatured => FeaturedRank is not null || RankUnrecorded;

    public static ProductPlacement FeaturedAtUnrecordedRank(long categoryId) => new(categoryId, null) { RankUnrecorded = true };

    /// <summary>
    /// Reads back what <see cref="ChangeImpact.ListingKeys"/> wrote (<c>category:3:list</c>, and <c>featured</c>
    /// when featured); null when no category listing is named.
    /// </summary>
    public static ProductPlacement? FromListingKeys(IReadOnlyCollection<string> listingKeys)
    {
        ArgumentNullException.ThrowIfNull(listingKeys);
        foreach (var key in listingKeys)
        {
            if (key.StartsWith("category:", StringComparison.Ordinal) && key.EndsWith(":list", StringComparison.Ordinal)
                && long.TryParse(key.AsSpan(9, key.Length - 9 - 5), NumberStyles.None, CultureInfo.InvariantCulture, out var categoryId))
            {
                return listingKeys.Contains(DependencyKeys.Featured, StringComparer.Ordinal)
                    ? FeaturedAtUnrecordedRank(categoryId)
                    : new ProductPlacement(categoryId, null);
            }
        }

        return null;
    }
}

/// <summary>
/// What a change affects: an entity's state before and after -> the dependency keys whose artifacts may now
/// be wrong. The one rule both sides apply: the Api evicts its cache by these keys after an admin write, and
/// the publisher's incremental plan renders every live path that depended on one of them.
/// <para>
/// The rule rests on how pages are tagged (<see cref="ArtifactData.DependencyKeys"/>): every listing page —
/// the published page 1 and the Api's pages 2 and on alike — carries the key of every product it shows
/// and its query key (<c>category:N:list</c>; the home page <c>featured</c>). So:
/// </para>
/// <list type="bullet">
/// <item>a product's own change (name, price, images, description) touches <c>product:N</c> only: exactly the
/// pages that show it;</item>
/// <item>a membership change — created, deleted, moved between categories — also touches the query key of
/// every category listing it was or is in (the pages that did not show it, and the pages its arrival or
/// departure shifts), plus <c>featured</c> if it was or is featured;</item>
/// <item>in or out of the featured set, or a new rank within it, touches <c>featured</c> (category
/// listings are ordered by id and do not show the rank);</item>
/// <item>a category (created, renamed, moved in the tree, deleted) touches <c>category:N</c>, its listing
/// <c>category:N:list</c> and the tree <c>categories</c>;</item>
/// <item>a product created or deleted also touches <c>sitemap</c> (the sitemap files list every product page);</item>
/// <item>the site config touches <c>config</c>.</item>
/// </list>
/// <para>
/// The edge's copy of these keys is capped (<see cref="SurrogateKeys.For(ArtifactPath, IReadOnlyList{string})"/>
/// drops product keys first); the query key stays and covers them there. The publisher's dependency index
/// and the Api's cache keep every key, uncapped.
/// </para>
/// </summary>
public static class ChangeImpact
{
    /// <summary>The listing query keys a product in <paramref name="placement"/> is shown under (what the publisher records).</summary>
    public static string[] ListingKeys(ProductPlacement placement)
    {
        ArgumentNullException.ThrowIfNull(placement);
        return placement.IsFeatured
            ? [DependencyKeys.CategoryList(placement.CategoryId), DependencyKeys.Featured]
            : [DependencyKeys.CategoryList(placement.CategoryId)];
    }

    /// <summary>
    /// A product written: <paramref name="before"/> null when it was created, <paramref name="after"/> null
    /// when it was deleted. Sorted, distinct.
    /// </summary>
    public static IReadOnlyList<string> OfProduct(long id, ProductPlacement? before, ProductPlacement? after)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal) { DependencyKeys.Product(id) };
        if (before?.CategoryId != after?.CategoryId)
        {
            // Created, deleted or moved: the listings it left and joined.
            AddListing(before);
            AddListing(after);
            if (before is null || after is null)
            {
                keys.Add(DependencyKeys.Sitemap);   // a product page appeared or went: the sitemap lists pages
            }
        }

        var wasFeatured = before?.IsFeatured == true;
        var isFeatured = after?.IsFeatured == true;
        if (wasFeatured != isFeatured
            || (wasFeatured && (before!.RankUnrecorded || after!.RankUnrecorded || before.FeaturedRank != after.FeaturedRank)))
        {
            keys.Add(DependencyKeys.Featured);
        }

        return [.. keys];

        void AddListing(ProductPlacement? placement)
        {
            if (placement is not null)
            {
                keys.Add(DependencyKeys.CategoryList(placement.CategoryId));
            }
        }
    }

    /// <summary>A category created, renamed, re-slugged, moved in the tree or deleted: its pages, its listing, the tree.</summary>
    public static IReadOnlyList<string> OfCategory(long id) =>
        [DependencyKeys.Categories, DependencyKeys.Category(id), DependencyKeys.CategoryList(id)];

    /// <summary>The site config document changed: every page that shows it.</summary>
    public static IReadOnlyList<string> OfConfig() => [DependencyKeys.Config];

    /// <summary>
    /// The same rule keyed by a dependency key, for a planner that knows an entity by its key
    /// (<c>product:12</c>, <c>category:3</c>, <c>config</c>); an unknown key affects itself.
    /// </summary>
    public static IReadOnlyList<string> Of(string entityKey, ProductPlacement? before, ProductPlacement? after)
    {
        ArgumentNullException.ThrowIfNull(entityKey);
        if (entityKey == DependencyKeys.Config)
        {
            return OfConfig();
        }

        var parts = entityKey.Split(':');
        if (parts.Length == 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            switch (parts[0])
            {
                case "product":
                    return OfProduct(id, before, after);
                case "category":
                    return OfCategory(id);
            }
        }

        return [entityKey];
    }
}
