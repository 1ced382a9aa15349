using Bogus;
using Static.Shared.Catalog;

namespace Static.Publisher.Seeding;

/// <summary>What to generate: the same request always gives the same catalog, row for row.</summary>
public sealed record DemoCatalogRequest(int Products, int Categories, int Seed, string Currency);

/// <summary>
/// A realistic, deterministic demo catalog (Bogus with its own seeded randomizer; no global state, no
/// clock): categories in a two-level tree, products with names, descriptions, prices and drawn placeholder
/// images (<see cref="PlaceholderImages"/>), a
/// dozen featured products, stock levels and a site config.
/// </summary>
public static class DemoCatalogGenerator
{
    /// <summary>Timestamps are offsets back from this fixed instant, never from the clock.</summary>
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public const int FeaturedProducts = 12;

    public static CatalogSnapshot Generate(DemoCatalogRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(request.Products, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(request.Categories, 1);

        var faker = new Faker("en") { Random = new Randomizer(request.Seed) };
        var categories = GenerateCategories(faker, request.Categories);
        var leafIds = categories.Where(c => c.ParentId is not null || categories.All(x => x.ParentId != c.Id)).Select(c => c.Id).ToArray();

        var products = new List<Product>(request.Products);
        var stock = new List<StockLevel>(request.Products);
        var featured = PickFeatured(faker, request.Products);
        var placeholders = PlaceholderImages.Generate(request.Seed, request.Categories);
        for (var i = 1; i <= request.Products; i++)
        {
            var name = faker.Commerce.ProductName();
            var updated = Epoch.AddMinutes(-faker.Random.Int(0, 60 * 24 * 365));
            var imageCount = faker.Random.Int(1, 3);
            var product = new Product(
                Id: i,
                Slug: $"{Slug.From(name)}-{i}",
                Name: name,
                Description: faker.Commerce.ProductDescription(),
                Price: new Money(faker.Random.Int(1, 399) + faker.PickRandom(0.00m, 0.49m, 0.95m, 0.99m), request.Currency),
                CategoryId: faker.PickRandom(leafIds),
                ImageUrls: [],
                FeaturedRank: featured.TryGetValue(i, out var rank) ? rank : null,
                UpdatedAt: updated,
                RowVersion: 1);

            // Images come from the placeholders by id and category: no draw from the randomizer, so every other
            // value is what it was before images existed.
            products.Add(product with { Images = PlaceholderImages.ForProduct(placeholders, i, product.CategoryId, imageCount) });
            stock.Add(new StockLevel(i, faker.Random.Int(0, 500), updated));
        }

        var topLevel = categories.Where(c => c.ParentId is null).OrderBy(c => c.SortOrder).ToList();
        var config = new SiteConfig(
            Banner: new Banner($"{faker.Commerce.ProductAdjective()} deals this week: up to {faker.Random.Int(10, 50)}% off", "/categories/" + topLevel[0].Slug + "/1.html"),
            Navigation: topLevel.Select(c => new NavigationLink(c.Name, $"/categories/{c.Slug}/1.html")).ToList(),
            FeatureFlags: new SortedDictionary<string, bool>(StringComparer.Ordinal) { ["showStock"] = true, ["reviews"] = false, ["wishlist"] = true },
            Currency: request.Currency);

        return new CatalogSnapshot(categories, products, stock, config) { ImageSources = placeholders };
    }

    private static List<Category> GenerateCategories(Faker faker, int count)
    {
        // About a quarter are top-level departments; the rest hang under them.
        var roots = Math.Max(1, (count + 3) / 4);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<Category>(count);
        for (var i = 1; i <= count; i++)
        {
            var isRoot = i <= roots;
            var baseName = isRoot ? faker.Commerce.Department() : $"{faker.Commerce.ProductAdjective()} {faker.Commerce.Product()}";
            var name = baseName;
            var suffix = 2;
            while (!used.Add(Slug.From(name)))
            {
                name = $"{baseName} {suffix++}";
            }

            list.Add(new Category(
                Id: i,
                Slug: Slug.From(name),
                Name: name,
                ParentId: isRoot ? null : faker.Random.Int(1, roots),
                SortOrder: i,
                UpdatedAt: Epoch.AddDays(-faker.Random.Int(30, 400)),
                RowVersion: 1));
        }

        return list;
    }

    private static Dictionary<int, int> PickFeatured(Faker faker, int products)
    {
        var result = new Dictionary<int, int>();
        var count = Math.Min(FeaturedProducts, products);
        var rank = 1;
        while (result.Count < count)
        {
            var id = faker.Random.Int(1, products);
            if (result.TryAdd(id, rank))
            {
                rank++;
            }
        }

        return result;
    }
}
