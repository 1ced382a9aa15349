using System.Globalization;
using System.Text.Json.Nodes;

namespace Static.BenchReport;

/// <summary>Tolerant reads of benchmark JSON: a missing key, a null or a value of another type gives null, never an exception,
/// so an older shape of a result degrades to "not in this result" instead of stopping the report.</summary>
internal static class J
{
    public static JsonNode? At(JsonNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(key, out node)) return null;
        }
        return node;
    }

    public static double? Num(JsonNode? node, params string[] path)
    {
        var n = At(node, path);
        if (n is not JsonValue v) return null;
        if (v.TryGetValue<double>(out var d)) return d;
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<int>(out var i)) return i;
        if (v.TryGetValue<decimal>(out var m)) return (double)m;
        if (v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p)) return p;
        return null;
    }

    public static string? Str(JsonNode? node, params string[] path)
    {
        var n = At(node, path);
        if (n is not JsonValue v) return null;
        if (v.TryGetValue<string>(out var s)) return s;
        return n.ToJsonString();
    }

    public static bool? Bool(JsonNode? node, params string[] path) =>
        At(node, path) is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    public static JsonArray? Arr(JsonNode? node, params string[] path) => At(node, path) as JsonArray;

    public static JsonObject? Obj(JsonNode? node, params string[] path) => At(node, path) as JsonObject;

    /// <summary>The objects of an array (other items skipped).</summary>
    public static IEnumerable<JsonObject> Objects(JsonNode? node, params string[] path) =>
        (Arr(node, path) ?? []).OfType<JsonObject>();

    public static double? Median(IEnumerable<double?> values)
    {
        var xs = values.Where(x => x.HasValue).Select(x => x!.Value).Order().ToArray();
        if (xs.Length == 0) return null;
        return xs.Length % 2 == 1 ? xs[xs.Length / 2] : (xs[xs.Length / 2 - 1] + xs[xs.Length / 2]) / 2;
    }

    public static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y != 0 ? x / y : null;
}

/// <summary>Number formatting for the report, always invariant.</summary>
internal static class F
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string N(double? v, int decimals = 0) => v is { } x ? x.ToString("N" + decimals.ToString(C), C) : "—";

    public static string R(double? v) => v is { } x ? x.ToString("0.000", C) : "—";

    public static string Ms(double? v) => v is not { } x ? "—" : x >= 100 ? N(x) + " ms" : x >= 10 ? N(x, 1) + " ms" : N(x, 2) + " ms";

    public static string S(double? v) => v is not { } x ? "—" : x >= 100 ? N(x) + " s" : N(x, 1) + " s";

    public static string Rps(double? v) => v is { } x ? N(x) + "/s" : "—";

    public static string Bytes(double? v)
    {
        if (v is not { } x) return "—";
        if (x >= 1024 * 1024) return N(x / 1024 / 1024, 1) + " MiB";
        if (x >= 1024) return N(x / 1024, 1) + " KiB";
        return N(x) + " B";
    }

    public static string Ns(double? v)
    {
        if (v is not { } x) return "—";
        if (x >= 1e6) return N(x / 1e6, 2) + " ms";
        if (x >= 1e3) return N(x / 1e3, 2) + " µs";
        return N(x, 1) + " ns";
    }

    public static string Date(DateTimeOffset? d) => d is { } x ? x.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", C) : "unknown date";

    public static string Iso(DateTimeOffset d) => d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", C);

    public static string Inv(FormattableString s) => FormattableString.Invariant(s);
}
