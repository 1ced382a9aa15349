using System.Globalization;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Artifacts;
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

/// <summary>
/// One object the live version names, with what it must be: its SHA-256 and size (null for a shard that cannot be
/// rebuilt from the live rows), and for a stable path the artifact's path, dependency keys and header fingerprint.
/// </summary>
public sealed record ExpectedObject(string Key, ObjectRole Role, string? Sha256, long? Size, ArtifactRow? Row = null)
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

    public static LiveObjects From(ManifestRoot root, IReadOnlyList<ArtifactRow> rows)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(rows);
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
            objects.Add(new ExpectedObject(row.Path[1..], ObjectRole.Stable, row.Sha256, row.Size, row));
        }

        // One immutable copy per distinct bytes and extension (two paths with the same bytes share it).
        foreach (var row in rows.DistinctBy(r => ObjectKeys.Immutable(r.Sha256, Path.GetExtension(r.Path)), StringComparer.Ordinal))
        {
            objects.Add(new ExpectedObject(ObjectKeys.Immutable(row.Sha256, Path.GetExtension(row.Path)), ObjectRole.Immutable, row.Sha256, row.Size, row));
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

        if (expected is { Role: ObjectRole.Stable, Row: { } row } && head.ContentType is { } contentType)
        {
            var tags = head.Metadata.TryGetValue(SurrogateKeys.MetadataKey, out var t) ? t : "";
            if (ArtifactDiff.HeadersHash(contentType, head.CacheControl ?? "", tags) != row.HeadersHash)
            {
                return new ObjectFinding(expected, ObjectState.Wrong, $"headers differ (Content-Type '{contentType}', Cache-Control '{head.CacheControl}')");
            }
        }

        return new ObjectFinding(expected, ObjectState.Ok);
    }

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
