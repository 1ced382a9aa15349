using Static.Shared.Artifacts;
using Static.Shared.Manifests;

namespace Static.Publisher.Publishing;

/// <summary>
/// What a run changes against the live version, by hash — never by listing the bucket: the rendered
/// artifacts whose bytes or headers differ, the paths the edge must drop, the object keys a run writes.
/// </summary>
internal static class ArtifactDiff
{
    /// <summary>The rendered artifacts that are new or whose bytes or header fingerprint differ from the live row, by path.</summary>
    public static List<RenderedItem> Changed(IReadOnlyList<RenderedItem> rendered, LiveState live) =>
        rendered.Where(r => !live.Artifacts.TryGetValue(r.Path, out var was) || was.Sha256 != r.Sha256 || was.HeadersHash != r.HeadersHash)
            .OrderBy(r => r.Path, StringComparer.Ordinal).ToList();

    /// <summary>
    /// The header fingerprint recorded per artifact (<c>artifacts.headers_hash</c>): a change of Content-Type,
    /// Cache-Control or cache tags alone re-uploads the stable object. Rendering, rollback and verify compute it here.
    /// </summary>
    public static string HeadersHash(string contentType, string cacheControl, string cacheTagHeader) =>
        ContentHash.Sha256(System.Text.Encoding.UTF8.GetBytes($"{contentType}\n{cacheControl}\n{cacheTagHeader}"))[..16];

    /// <summary>The stable paths the edge must drop: changed and removed ones, and "/" with /index.html.</summary>
    public static List<string> Invalidations(IReadOnlyList<RenderedItem> changed, IReadOnlyList<string> removed)
    {
        var paths = changed.Select(c => c.Path).Concat(removed).ToList();
        if (paths.Contains(ArtifactPath.Home))
        {
            paths.Add("/");   // the edge serves /index.html at / as well
        }

        paths.Sort(StringComparer.Ordinal);
        return paths;
    }

    /// <summary>
    /// The first version ever published: no edge can hold a published object yet, only what the Api answered
    /// before (its fallback). One wildcard (<see cref="Edge.InvalidationRequest.Everything"/>) drops all of that, instead of
    /// one entry per path (200,053 at 100,000 products). Nothing when nothing was rendered.
    /// </summary>
    public static List<string> FirstPublishInvalidations(IReadOnlyList<RenderedItem> changed) =>
        changed.Count == 0 ? [] : [Edge.InvalidationRequest.Everything];

    /// <summary>The object keys a run would write (a dry run's report): new immutable copies, stable paths, shards, the root.</summary>
    public static List<string> PlannedKeys(LiveState live, IReadOnlyList<RenderedItem> changed, ManifestPlan manifest)
    {
        var liveHashes = live.Artifacts.Values.Select(a => a.Sha256).ToHashSet(StringComparer.Ordinal);
        var keys = changed.Where(c => !liveHashes.Contains(c.Sha256)).Select(c => ObjectKeys.Immutable(c.Sha256, c.Artifact.Extension))
            .Concat(changed.Select(c => c.Artifact.Key))
            .Concat(manifest.Shards.Select(s => s.Key));
        if (manifest.Changed)
        {
            keys = keys.Append(ObjectKeys.ManifestRoot);
        }

        return keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }
}
