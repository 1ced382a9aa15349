namespace Static.Shared.Artifacts;

/// <summary>
/// The cache tags an edge may purge an artifact by: <c>path:{path}</c>, then its dependency keys. One list
/// serves every edge: the publisher stores it as S3 user metadata <c>cache-tag</c> (served as the
/// <see cref="Header"/> header), the Api sends the same header, Varnish turns it into xkey keys, and a
/// CloudFront distribution names it in <c>CacheTagConfig</c>. Within CloudFront's rules: at most
/// <see cref="MaxTags"/> tags an object (it ignores the rest), comma-separated, and the whole value within
/// S3's 2 KB of user metadata (<see cref="MaxBytes"/>). A listing's product keys are dropped first when the
/// list would not fit (the listing's query key still covers them). Publisher and Api both call this, so
/// both origins send the same tags.
/// </summary>
public static class SurrogateKeys
{
    /// <summary>The response header both origins send (S3 serves metadata <c>cache-tag</c> under it).</summary>
    public const string Header = "x-amz-meta-cache-tag";

    /// <summary>The S3 user-metadata key (without the <c>x-amz-meta-</c> prefix).</summary>
    public const string MetadataKey = "cache-tag";

    /// <summary>Bumped when the stored form changes; part of the publisher's settings fingerprint.</summary>
    public const int FormatVersion = 2;

    public const int MaxTags = 50;

    public const int MaxBytes = 1800;

    public static string PathTag(string path) => "path:" + path;

    /// <summary>The tags, in order: the path tag first, then the dependency keys, capped as described above.</summary>
    public static IReadOnlyList<string> For(ArtifactPath path, IReadOnlyList<string> dependencyKeys)
    {
        ArgumentNullException.ThrowIfNull(path);
        return For(path.Path, dependencyKeys);
    }

    /// <inheritdoc cref="For(ArtifactPath, IReadOnlyList{string})"/>
    public static IReadOnlyList<string> For(string path, IReadOnlyList<string> dependencyKeys)
    {
        ArgumentNullException.ThrowIfNull(dependencyKeys);
        var all = dependencyKeys.Prepend(PathTag(path)).ToList();
        if (Fits(all))
        {
            return all;
        }

        // Too many: keep the query keys (config, featured, categories, category:N:list), which cover what
        // they list, before the entity keys; product keys go first, then category keys, last ones first.
        var kept = all.Where(k => !k.StartsWith("product:", StringComparison.Ordinal)).ToList();
        while (!Fits(kept))
        {
            var drop = kept.FindLastIndex(k => k.StartsWith("category:", StringComparison.Ordinal) && !k.EndsWith(":list", StringComparison.Ordinal));
            kept.RemoveAt(drop > 0 ? drop : kept.Count - 1);
        }

        return kept;
    }

    /// <summary>The header / metadata value: comma-separated.</summary>
    public static string Format(IEnumerable<string> tags) => string.Join(',', tags);

    /// <summary>Reads a header / metadata value back (commas; the space-separated form of earlier versions too).</summary>
    public static IReadOnlyList<string> Parse(string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : value.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool Fits(List<string> tags) => tags.Count <= MaxTags && tags.Sum(t => t.Length + 1) - 1 <= MaxBytes;
}
