namespace Static.Shared.Artifacts;

/// <summary>
/// The surrogate keys an edge may purge an artifact by (Varnish xkey; the publisher stores them as
/// <c>x-amz-meta-xkey</c>, the Api sends them as an <c>xkey</c> header): the path itself, then the
/// dependency keys. Product keys are dropped first when a listing's keys would not fit S3's 2 KB of user
/// metadata (the listing's query key still covers them). Both sides call this, so both send the same keys.
/// </summary>
public static class SurrogateKeys
{
    public const int MaxBytes = 1800;

    public static string For(ArtifactPath path, IReadOnlyList<string> dependencyKeys)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(dependencyKeys);
        var all = string.Join(' ', dependencyKeys.Prepend("path:" + path.Path));
        return all.Length <= MaxBytes
            ? all
            : string.Join(' ', dependencyKeys.Where(k => !k.StartsWith("product:", StringComparison.Ordinal)).Prepend("path:" + path.Path));
    }
}
