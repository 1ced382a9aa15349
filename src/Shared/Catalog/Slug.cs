using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Static.Shared.Catalog;

/// <summary>
/// URL slugs: lowercase ASCII letters and digits in groups joined by single hyphens ("red-shoes-42").
/// PostgreSQL enforces the same rule with a check constraint, so a bad slug never reaches a path.
/// </summary>
public static partial class Slug
{
    public const int MaxLength = 120;

    public static bool IsValid(string? slug) =>
        !string.IsNullOrEmpty(slug) && slug.Length <= MaxLength && Pattern().IsMatch(slug);

    /// <summary>Turns free text into a valid slug ("Crème Brûlée and Co." gives "creme-brulee-and-co"); empty when nothing is left.</summary>
    public static string From(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        var pendingHyphen = false;
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            var lower = char.ToLowerInvariant(c);
            if (lower is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                if (pendingHyphen && builder.Length > 0)
                {
                    builder.Append('-');
                }

                builder.Append(lower);
                pendingHyphen = false;
            }
            else
            {
                pendingHyphen = true;
            }
        }

        var slug = builder.ToString();
        return slug.Length <= MaxLength ? slug : slug[..MaxLength].TrimEnd('-');
    }

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
