using System.Collections.Concurrent;
using System.Globalization;

namespace Static.Shared.Catalog;

/// <summary>
/// Writes a price the way the site's locale writes money (<c>site.locale</c>): its digits, separators and where the
/// symbol goes, with the symbol and decimals of the price's own currency (EUR in en-US is "€1,234.50", not "$").
/// The publisher and the Api both render through this, so both give the same bytes; the text also goes into the
/// JSON documents (<c>priceText</c>) so the browser module never formats a price differently.
/// </summary>
public static class PriceFormat
{
    private static readonly ConcurrentDictionary<(string Locale, string Currency), NumberFormatInfo> Formats = new();

    public static string Format(Money price, string locale) =>
        price.Amount.ToString("C", Formats.GetOrAdd((locale, price.Currency), static key => Build(key.Locale, key.Currency)));

    private static NumberFormatInfo Build(string locale, string currency)
    {
        var culture = CultureInfo.GetCultureInfo(locale, predefinedOnly: true);
        var format = (NumberFormatInfo)culture.NumberFormat.Clone();
        var home = CurrencyCulture(culture, currency);
        if (home is null)
        {
            format.CurrencySymbol = currency;   // no culture uses it: the ISO code says it unambiguously
        }
        else if (!ReferenceEquals(home, culture))
        {
            format.CurrencySymbol = home.NumberFormat.CurrencySymbol;
            format.CurrencyDecimalDigits = home.NumberFormat.CurrencyDecimalDigits;
        }

        format.CurrencySymbol = format.CurrencySymbol.Length == 0 ? currency : format.CurrencySymbol;
        return NumberFormatInfo.ReadOnly(format);
    }

    /// <summary>The locale itself when its region pays in the currency; else a culture of the same language whose region does; else any such culture.</summary>
    private static CultureInfo? CurrencyCulture(CultureInfo locale, string currency)
    {
        if (Region(locale)?.ISOCurrencySymbol == currency)
        {
            return locale;
        }

        var candidates = CultureInfo.GetCultures(CultureTypes.SpecificCultures)
            .Where(c => Region(c)?.ISOCurrencySymbol == currency)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        return candidates.FirstOrDefault(c => c.TwoLetterISOLanguageName == locale.TwoLetterISOLanguageName)
            ?? candidates.FirstOrDefault(c => c.TwoLetterISOLanguageName == "en")
            ?? candidates.FirstOrDefault();
    }

    private static RegionInfo? Region(CultureInfo culture)
    {
        try
        {
            return new RegionInfo(culture.Name);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
