using System.Text.Json;
using System.Text.Json.Serialization;
using Static.Shared.Artifacts;

namespace Static.Templates;

/// <summary>
/// What the <c>_Seo</c> partial renders into a page's head: the meta description, the canonical link (the page's own
/// absolute URL at <c>site.baseUrl</c>) and the OpenGraph tags.
/// </summary>
public sealed record SeoHead(SiteInfo Site, string Title, string Description, string Path, string OgType = "website", string? ImagePath = null)
{
    public string Canonical => Site.Pages.Absolute(Path);

    public string? Image => ImagePath is null ? null : ImagePath.StartsWith("http", StringComparison.Ordinal) ? ImagePath : Site.Pages.Absolute(ImagePath);

    /// <summary>A description of at most 160 characters, cut at a word.</summary>
    public static string Shorten(string text, int max = 160)
    {
        ArgumentNullException.ThrowIfNull(text);
        var oneLine = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (oneLine.Length <= max)
        {
            return oneLine;
        }

        var cut = oneLine.LastIndexOf(' ', max - 1);
        return oneLine[..(cut > max / 2 ? cut : max - 1)] + "…";
    }
}

/// <summary>
/// schema.org JSON-LD for product pages: name, image, description, SKU and an Offer with price and currency.
/// Availability is not published (stock is never in published bytes, so a stock change never republishes): the
/// page's module adds it from the same <c>/stock</c> read that fills the badge. Serialised by System.Text.Json,
/// whose default encoder escapes &lt; &gt; &amp;, so the text cannot close its script element.
/// </summary>
public static class StructuredData
{
    public static string Product(ProductData data, string? imagePath)
    {
        ArgumentNullException.ThrowIfNull(data);
        var p = data.Product;
        var pages = data.Site.Pages;
        var doc = new ProductLd(
            "https://schema.org", "Product", p.Name, SeoHead.Shorten(p.Description, 500),
            p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            imagePath is null ? null : [imagePath.StartsWith("http", StringComparison.Ordinal) ? imagePath : pages.Absolute(imagePath)],
            new OfferLd("Offer", pages.Absolute(data.Path.Path), p.Price.Amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), p.Price.Currency));
        return JsonSerializer.Serialize(doc, StructuredDataJsonContext.Default.ProductLd);
    }

    internal sealed record ProductLd(
        [property: JsonPropertyName("@context")] string Context,
        [property: JsonPropertyName("@type")] string Type,
        string Name,
        string Description,
        string Sku,
        IReadOnlyList<string>? Image,
        OfferLd Offers);

    internal sealed record OfferLd([property: JsonPropertyName("@type")] string Type, string Url, string Price, string PriceCurrency);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StructuredData.ProductLd))]
internal sealed partial class StructuredDataJsonContext : JsonSerializerContext;
