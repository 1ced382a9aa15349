using System.Globalization;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Artifacts;
using Static.Shared.Configuration;
using Static.Shared.Manifests;

namespace Static.Publisher.Operations;

/// <summary>What an object is to the live version: the manifest root, a shard, a stable path or an immutable copy.</summary>
public enum ObjectRole
{
    Root,
    Shard,
    Stable,
    Immutable,
}

/// <summary>What <c>publisher verify</c> found for one object.</summary>
public enum ObjectState
{
    Ok,
    Missing,
    Wrong,
}

/// <summary>The headers an artifact's object is written with: Content-Type, Cache-Control and the cache-tag metadata.</summary>
public sealed record ExpectedHeaders(string ContentType, string CacheControl, string CacheTags);

/// <summary>
/// One object the live version names, with what it must be: its SHA-256 and size (null for a shard that cannot be
/// rebuilt from the live rows); for a stable path or an immutable copy, the live row it comes from and its headers
/// (null for a stable path whose recorded header fingerprint today's settings do not reproduce).
/// </summary>
public sealed record ExpectedObject(string Key, ObjectRole Role, string? Sha256, long? Size, ArtifactRow? Row = null, ExpectedHeaders? Headers = null)
{
    /// <summary>The URL path the edge serves the object at (what an invalidation names).</summary>
    public string UrlPath => "/" + Key;
}

/// <summary>One object's finding; <see cref="Reason"/> says what differs for <see cref="ObjectState.Wrong"/>.</summary>
public sealed record ObjectFinding(ExpectedObject Expected, ObjectState State, string? Reason = null)
{
    public override string ToString() => State switch
    {
        ObjectState.Missing => $"missing  {Expected.Key}",
        ObjectState.Wrong => $"wrong    {Expected.Key} ({Reason})",
        _ => $"ok       {Expected.Key}",
    };
}

/// <summary>
/// Every object the live version names, computed from the database alone (the live root and the <c>artifacts</c>
/// rows, never a listing of the store): the root, each shard (rebuilt from the rows, as <see cref="ManifestBuilder"/>
/// builds it), each stable path and each immutable copy (assets' <c>_immutable/…</c> copies included). The root's and
/// shards' bytes are kept: they are what a repair writes.
/// </summary>
public sealed class LiveObjects
{
    private LiveObjects(IReadOnlyList<ExpectedObject> objects, IReadOnlyDictionary<string, byte[]> manifestBytes, IReadOnlyList<string> inconsistencies)
    {
        Objects = objects;
        ManifestBytes = manifestBytes;
        Inconsistencies = inconsistencies;
    }

    public IReadOnlyList<ExpectedObject> Objects { get; }

    /// <summary>The root's and each rebuildable shard's bytes, by key.</summary>
    public IReadOnlyDictionary<string, byte[]> ManifestBytes { get; }

    /// <summary>Shards of the root that the live rows do not rebuild to the same hash (they are then checked for existence only).</summary>
    public IReadOnlyList<string> Inconsistencies { get; }

    public static LiveObjects From(ManifestRoot root, IReadOnlyList<ArtifactRow> rows, CacheControlSection cacheControl)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(cacheControl);
        var objects = new List<ExpectedObject>(rows.Count * 2 + root.Shards.Count + 1);
        var bytes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var inconsistent = new List<string>();

        var rootBytes = ManifestSharding.Serialize(root);
        objects.Add(new ExpectedObject(ObjectKeys.ManifestRoot, ObjectRole.Root, ContentHash.Sha256(rootBytes), rootBytes.Length));
        bytes[ObjectKeys.ManifestRoot] = rootBytes;

        var byShard = rows.GroupBy(r => r.Shard, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var (name, hash) in root.Shards)
        {
            var key = ObjectKeys.Shard(name, hash);
            if (byShard.TryGetValue(name, out var members))
            {
                var shard = new ManifestShard(ObjectKeys.FormatVersion, name,
                    new SortedDictionary<string, string>(members.ToDictionary(r => r.Path, r => r.Sha256, StringComparer.Ordinal), StringComparer.Ordinal));
                var (shardBytes, shardHash) = ManifestSharding.Serialize(shard);
                if (shardHash == hash)
                {
                    objects.Add(new ExpectedObject(key, ObjectRole.Shard, ContentHash.Sha256(shardBytes), shardBytes.Length));
                    bytes[key] = shardBytes;
                    continue;
                }
            }

            inconsistent.Add(key);
            objects.Add(new ExpectedObject(key, ObjectRole.Shard, null, null));
        }

        foreach (var row in rows)
        {
            objects.Add(new ExpectedObject(row.Path[1..], ObjectRole.Stable, row.Sha256, row.Size, row, StableHeaders(row, cacheControl)));
        }

        // One immutable copy per distinct bytes and extension (two paths with the same bytes share it).
        foreach (var row in rows.DistinctBy(r => ObjectKeys.Immutable(r.Sha256, Path.GetExtension(r.Path)), StringComparer.Ordinal))
        {
            var headers = ArtifactPath.TryParse(row.Path) is { } artifact
                ? new ExpectedHeaders(artifact.ContentType, cacheControl.Immutable, SurrogateKeys.Format(SurrogateKeys.For(artifact, row.DependencyKeys)))
                : null;
            objects.Add(new ExpectedObject(ObjectKeys.Immutable(row.Sha256, Path.GetExtension(row.Path)), ObjectRole.Immutable, row.Sha256, row.Size, row, headers));
        }

        return new LiveObjects(objects, bytes, inconsistent);
    }

    /// <summary>
    /// What a HEAD shows against what was published. Missing: no object. Wrong: another size; a SHA-256 (the
    /// publisher's <c>sha256</c> metadata, or a folder's computed hash) other than the recorded one; no SHA-256 on an
    /// object the publisher always writes one on (someone else wrote it); or, for a stable path on a store that keeps
    /// headers, a Content-Type, Cache-Control or cache tags whose fingerprint is not the recorded one. Shards written
    /// before shards carried their hash are checked by size (their name holds 64 bits of their hash).
    /// </summary>
    public static ObjectFinding Classify(ExpectedObject expected, ObjectHead? head)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (head is null)
        {
            return new ObjectFinding(expected, ObjectState.Missing);
        }

        var c = CultureInfo.InvariantCulture;
        if (expected.Size is { } size && head.Size != size)
        {
            return new ObjectFinding(expected, ObjectState.Wrong, string.Create(c, $"{head.Size} bytes, published {size}"));
        }

        if (head.Sha256 is { } sha && expected.Sha256 is { } want && !string.Equals(sha, want, StringComparison.OrdinalIgnoreCase))
        {
            return new ObjectFinding(expected, ObjectState.Wrong, $"sha256 {Short(sha)}, published {Short(want)}");
        }

        if (head.Sha256 is null && expected.Role != ObjectRole.Shard && expected.Sha256 is not null)
        {
            return new ObjectFinding(expected, ObjectState.Wrong, "no sha256 metadata: not written by the publisher");
        }

        // Headers: stable paths only, on a store that keeps them (a folder does not). Cache-Control is compared as a set
        // of directives: s3rver gives them back in another order.
        if (expected is { Role: ObjectRole.Stable, Headers: { } published } && head.ContentType is { } contentType)
        {
            if (!string.Equals(contentType, published.ContentType, StringComparison.OrdinalIgnoreCase))
            {
                return new ObjectFinding(expected, ObjectState.Wrong, $"Content-Type '{contentType}', published '{published.ContentType}'");
            }

            if (!Directives(head.CacheControl).SetEquals(Directives(published.CacheControl)))
            {
                return new ObjectFinding(expected, ObjectState.Wrong, $"Cache-Control '{head.CacheControl}', published '{published.CacheControl}'");
            }

            var tags = head.Metadata.TryGetValue(SurrogateKeys.MetadataKey, out var t) ? t : "";
            if (tags != published.CacheTags)
            {
                return new ObjectFinding(expected, ObjectState.Wrong, "cache tags differ from the published ones");
            }
        }

        return new ObjectFinding(expected, ObjectState.Ok);
    }

    /// <summary>
    /// A stable path's headers as the live row recorded them: today's settings give them when they reproduce the
    /// row's header fingerprint; when they do not (Cache-Control changed since), the published headers are unknown.
    /// </summary>
    private static ExpectedHeaders? StableHeaders(ArtifactRow row, CacheControlSection cacheControl)
    {
        if (ArtifactPath.TryParse(row.Path) is not { } artifact)
        {
            return null;
        }

        var headers = new ExpectedHeaders(artifact.ContentType, cacheControl.For(artifact.Class), SurrogateKeys.Format(SurrogateKeys.For(artifact, row.DependencyKeys)));
        return ArtifactDiff.HeadersHash(headers.ContentType, headers.CacheControl, headers.CacheTags) == row.HeadersHash ? headers : null;
    }

    private static HashSet<string> Directives(string? cacheControl) =>
        (cacheControl ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(d => d.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);

    /// <summary><paramref name="count"/> distinct objects chosen uniformly at random (all of them when there are fewer).</summary>
    public static IReadOnlyList<T> Sample<T>(IReadOnlyList<T> items, int count, Random random)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(random);
        if (count >= items.Count)
        {
            return items;
        }

        // A partial Fisher-Yates shuffle over indexes: O(count) swaps after one O(n) index array.
        var indexes = Enumerable.Range(0, items.Count).ToArray();
        var chosen = new T[Math.Max(0, count)];
        for (var i = 0; i < chosen.Length; i++)
        {
            var j = random.Next(i, indexes.Length);
            (indexes[i], indexes[j]) = (indexes[j], indexes[i]);
            chosen[i] = items[indexes[i]];
        }

        return chosen;
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] + "…" : sha;
}
