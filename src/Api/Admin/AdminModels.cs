using System.Globalization;
using System.Text.RegularExpressions;

namespace Static.Api.Admin;

/// <summary>A product as the admin API takes it (create and full update). Absent optional fields take their defaults.</summary>
public sealed record ProductInput(
    string? Name, string? Slug, string? Description, decimal? PriceAmount, string? Currency, long? CategoryId, List<string>? ImageUrls, int? FeaturedRank);

public sealed record ProductOutput(
    long Id, string Slug, string Name, string Description, decimal PriceAmount, string Currency, long CategoryId, IReadOnlyList<string> ImageUrls,
    int? FeaturedRank, long RowVersion, long? PublishId);

public sealed record CategoryInput(string? Name, string? Slug, long? ParentId, int? SortOrder);

public sealed record CategoryOutput(long Id, string Slug, string Name, long? ParentId, int SortOrder, long RowVersion, long? PublishId);

public sealed record StockInput(int? Quantity);

/// <summary>A product's images after <c>PUT /admin/products/{id}/images</c>, in order.</summary>
public sealed record ProductImagesOutput(long ProductId, IReadOnlyList<ProductImageOutput> Images, long RowVersion, long? PublishId);

public sealed record ProductImageOutput(int Position, string Sha256, string ContentType, int Width, int Height, int Bytes);

public sealed record StockOutput(long ProductId, int Quantity);

/// <summary><c>POST /admin/republish</c>: everything (<see cref="All"/>), or the given stable paths and/or dependency keys.</summary>
public sealed record RepublishInput(bool? All, List<string>? Paths, List<string>? Keys);

public sealed record RepublishAccepted(long PublishId, string Status);

/// <summary>What a delete answers: the deleted id and the outbox row that republishes.</summary>
public sealed record DeletedOutput(long Deleted, long PublishId);

public sealed record ConfigOutput(long Version, System.Text.Json.JsonElement Document, long? PublishId);

/// <summary>Validation that names the field: problem-details 400 with an <c>errors</c> map.</summary>
public static partial class AdminValidation
{
    public const int MaxImages = 20;

    public static Dictionary<string, string[]> Product(ProductInput input, out string slug)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new Dictionary<string, string[]>();
        slug = NameAndSlug(input.Name, input.Slug, 300, 200, errors);

        if (input.Description is { Length: > 20_000 } || HasControl(input.Description, allowLineBreaks: true))
        {
            errors["description"] = ["at most 20,000 characters, no control characters but line breaks and tabs"];
        }

        if (input.PriceAmount is not { } price || price < 0 || price > 9_999_999_999.99m || decimal.Round(price, 2) != price)
        {
            errors["priceAmount"] = ["required, 0 or more, at most two decimals"];
        }

        if (input.Currency is null || !CurrencyPattern().IsMatch(input.Currency))
        {
            errors["currency"] = ["required, an ISO 4217 code such as EUR"];
        }

        if (input.CategoryId is not > 0)
        {
            errors["categoryId"] = ["required, the id of an existing category"];
        }

        if (input.ImageUrls is { } images)
        {
            if (images.Count > MaxImages)
            {
                errors["imageUrls"] = [string.Create(CultureInfo.InvariantCulture, $"at most {MaxImages} images")];
            }
            else if (images.Any(u => !IsImageUrl(u)))
            {
                errors["imageUrls"] = ["each an absolute http(s) URL or a site path such as /images/1.jpg, at most 2,000 characters"];
            }
        }

        if (input.FeaturedRank is < 1 or > 10_000)
        {
            errors["featuredRank"] = ["null (not featured) or 1 to 10,000"];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Category(CategoryInput input, out string slug)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new Dictionary<string, string[]>();
        slug = NameAndSlug(input.Name, input.Slug, 200, Shared.Catalog.Slug.MaxLength, errors);

        if (input.ParentId is <= 0)
        {
            errors["parentId"] = ["null or the id of an existing category"];
        }

        if (input.SortOrder is < -1_000_000 or > 1_000_000)
        {
            errors["sortOrder"] = ["between -1,000,000 and 1,000,000"];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Republish(RepublishInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new Dictionary<string, string[]>();
        var all = input.All == true;
        var paths = input.Paths ?? [];
        var keys = input.Keys ?? [];
        if (!all && paths.Count == 0 && keys.Count == 0)
        {
            errors["all"] = ["say what to republish: \"all\": true, or \"paths\" and/or \"keys\""];
        }

        if (paths.Count > 10_000 || paths.Any(p => Shared.Artifacts.ArtifactPath.TryParse(p) is null))
        {
            errors["paths"] = ["at most 10,000 stable artifact paths such as /products/12.html"];
        }

        if (keys.Count > 1_000 || keys.Any(k => k is null || !KeyPattern().IsMatch(k)))
        {
            errors["keys"] = ["at most 1,000 dependency keys such as product:12, category:3:list, config, featured, categories"];
        }

        return errors;
    }

    /// <summary>Checks the name and the slug (given, or made from the name); returns the slug to store.</summary>
    private static string NameAndSlug(string? name, string? slug, int maxName, int maxSlug, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > maxName || HasControl(name, allowLineBreaks: false))
        {
            errors["name"] = [string.Create(CultureInfo.InvariantCulture, $"required, 1 to {maxName} characters, no control characters")];
        }

        if (slug is not null)
        {
            if (!SlugPattern().IsMatch(slug) || slug.Length > maxSlug)
            {
                errors["slug"] = [string.Create(CultureInfo.InvariantCulture, $"lowercase letters and digits in hyphen-joined groups, at most {maxSlug} characters (e.g. red-shoes-42)")];
            }

            return slug;
        }

        var made = string.IsNullOrWhiteSpace(name) ? "" : Shared.Catalog.Slug.From(name);
        if (made.Length == 0 && !string.IsNullOrWhiteSpace(name))
        {
            errors["slug"] = ["the name has no letters or digits to make a slug from: give one"];
        }

        return made.Length > maxSlug ? made[..maxSlug].TrimEnd('-') : made;
    }

    private static bool HasControl(string? text, bool allowLineBreaks) =>
        text is not null && text.Any(c => char.IsControl(c) && !(allowLineBreaks && c is '\n' or '\r' or '\t'));

    private static bool IsImageUrl(string? url) =>
        url is { Length: > 0 and <= 2000 } && !url.Any(char.IsWhiteSpace) && !url.Any(char.IsControl)
        && ((url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal))
            || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"));

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyPattern();

    [GeneratedRegex("^(config|featured|categories|product:[0-9]{1,18}|category:[0-9]{1,18}(:list)?)$")]
    private static partial Regex KeyPattern();
}
