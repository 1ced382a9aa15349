using System.Globalization;

namespace Static.Shared.Artifacts;

/// <summary>
/// What an artifact depends on, as strings stored in the dependency index and sent to the edge as
/// surrogate keys: the entities it read (<c>product:12</c>, <c>category:3</c>, <c>config</c>) and, for
/// listings, the query it ran (<c>category:3:list</c>, <c>featured</c>, <c>categories</c>), so that a
/// product entering or leaving a listing is caught even though the listing never named it before.
/// </summary>
public static class DependencyKeys
{
    public const string Config = "config";
    public const string Featured = "featured";
    public const string Categories = "categories";

    /// <summary>Which sitemap files exist: named by every product that appears or goes (<see cref="ChangeImpact"/>).</summary>
    public const string Sitemap = "sitemap";

    public static string Product(long id) => string.Create(CultureInfo.InvariantCulture, $"product:{id}");

    public static string Category(long id) => string.Create(CultureInfo.InvariantCulture, $"category:{id}");

    public static string CategoryList(long id) => string.Create(CultureInfo.InvariantCulture, $"category:{id}:list");
}
