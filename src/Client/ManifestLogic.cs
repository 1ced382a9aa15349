using System.Globalization;
using System.Text.Json;
using Static.Shared.Manifests;

namespace Static.Client;

/// <summary>A shard the client holds: the hash the root named it by, and its entries.</summary>
internal sealed record HeldShard(string Hash, ManifestShard Shard);

/// <summary>What a new root means for the shards a client holds.</summary>
/// <param name="Changed">Held shards whose hash changed: name → new hash (fetch these, and only these).</param>
/// <param name="Removed">Held shards the new root no longer names (every entry in them is gone).</param>
internal sealed record ShardPlan(IReadOnlyDictionary<string, string> Changed, IReadOnlyList<string> Removed)
{
    public bool IsEmpty => Changed.Count == 0 && Removed.Count == 0;
}

/// <summary>
/// The contract's pure logic (docs/manifest.md, "How a client stays fresh"): which held shards and entries a
/// new root makes stale, which paths changed, whether bytes are what an entry names. No I/O, so it is tested
/// on its own.
/// </summary>
internal static class ManifestLogic
{
    /// <summary>The only root <c>format</c> this client understands.</summary>
    public const int SupportedFormat = ObjectKeys.FormatVersion;

    /// <summary>
    /// The root's <c>format</c>, read before anything else: a root of another format may have another shape,
    /// so it is not deserialised at all. Null when the bytes are not a JSON object with a numeric format.
    /// </summary>
    public static int? ReadFormat(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isFormat = reader.ValueTextEquals("format"u8);
                if (!reader.Read())
                {
                    return null;
                }

                if (isFormat)
                {
                    return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var format) ? format : null;
                }

                reader.Skip();
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses a format-1 root; null when it is not one (the caller reports it).</summary>
    public static ManifestRoot? ParseRoot(ReadOnlySpan<byte> json)
    {
        if (ReadFormat(json) != SupportedFormat)
        {
            return null;
        }

        try
        {
            var root = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.ManifestRoot);
            return root is { ShardUrl: not null, ImmutableUrl: not null, Shards: not null } ? root : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses a shard already verified against its hash; null when it is not a format-1 shard.</summary>
    public static ManifestShard? ParseShard(ReadOnlySpan<byte> json)
    {
        try
        {
            var shard = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.ManifestShard);
            return shard is { Format: SupportedFormat, Entries: not null } ? shard : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Compares a new root's shard hashes with the shards held: only those are ever fetched.</summary>
    public static ShardPlan PlanShards(IReadOnlyDictionary<string, HeldShard> held, ManifestRoot next)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(next);
        var changed = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var removed = new List<string>();
        foreach (var (name, shard) in held)
        {
            if (!next.Shards.TryGetValue(name, out var hash))
            {
                removed.Add(name);
            }
            else if (!string.Equals(hash, shard.Hash, StringComparison.Ordinal))
            {
                changed[name] = hash;
            }
        }

        removed.Sort(StringComparer.Ordinal);
        return new ShardPlan(changed, removed);
    }

    /// <summary>Every path added, changed or removed between two versions of a shard (null: the shard does not exist).</summary>
    public static IEnumerable<string> ChangedPaths(ManifestShard? before, ManifestShard? after)
    {
        var old = before?.Entries ?? [];
        var now = after?.Entries ?? [];
        foreach (var (path, hash) in now)
        {
            if (!old.TryGetValue(path, out var was) || !string.Equals(was, hash, StringComparison.Ordinal))
            {
                yield return path;
            }
        }

        foreach (var path in old.Keys)
        {
            if (!now.ContainsKey(path))
            {
                yield return path;
            }
        }
    }

    /// <summary>
    /// The held entries (path → SHA-256 of the verified body held) of one new shard whose hash changed: the
    /// only bodies a refresh fetches. Paths the client never read are not fetched, however much they changed.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> EntriesToFetch(IReadOnlyDictionary<string, string> held, ManifestShard next)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(next);
        var fetch = new List<KeyValuePair<string, string>>();
        foreach (var (path, hash) in next.Entries)
        {
            if (held.TryGetValue(path, out var have) && !string.Equals(have, hash, StringComparison.Ordinal))
            {
                fetch.Add(new(path, hash));
            }
        }

        return fetch;
    }

    /// <summary>Whether <paramref name="body"/> is exactly the bytes an entry names.</summary>
    public static bool Verify(ReadOnlySpan<byte> body, string sha256) =>
        string.Equals(ContentHash.Sha256(body), sha256, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether shard bytes hash to the 16 hex digits the root named them by.</summary>
    public static bool VerifyShard(ReadOnlySpan<byte> bytes, string shardHash) =>
        ContentHash.Sha256(bytes).StartsWith(shardHash, StringComparison.OrdinalIgnoreCase) && shardHash.Length == ObjectKeys.ShardHashLength;

    /// <summary>The shard's URL path: the root's <c>shardUrl</c> with <c>{shard}</c> and <c>{hash}</c> filled in.</summary>
    public static string ShardUrl(ManifestRoot root, string shard, string hash)
    {
        ArgumentNullException.ThrowIfNull(root);
        return root.ShardUrl.Replace("{shard}", Uri.EscapeDataString(shard), StringComparison.Ordinal).Replace("{hash}", hash, StringComparison.Ordinal);
    }

    /// <summary>The immutable copy's URL path: the root's <c>immutableUrl</c> with <c>{sha256}</c> and <c>{ext}</c> filled in.</summary>
    public static string ImmutableUrl(ManifestRoot root, string sha256, string stablePath)
    {
        ArgumentNullException.ThrowIfNull(root);
        return root.ImmutableUrl.Replace("{sha256}", sha256, StringComparison.Ordinal).Replace("{ext}", Extension(stablePath), StringComparison.Ordinal);
    }

    /// <summary>The stable path's extension with its dot (<c>.json</c>), or empty.</summary>
    public static string Extension(string stablePath)
    {
        ArgumentNullException.ThrowIfNull(stablePath);
        var slash = stablePath.LastIndexOf('/');
        var dot = stablePath.LastIndexOf('.');
        return dot > slash ? stablePath[dot..] : "";
    }

    /// <summary>
    /// The shards that may hold <paramref name="stablePath"/>, most likely first, among those the root names.
    /// Site pages live in <c>site</c>; a product in <c>products-{id / productsPerShard}</c>; a category's page in
    /// some <c>categories-*</c> shard (by category id, which its slug does not tell, so each is tried in order;
    /// with 512 categories a shard there is usually one); any other path (a future asset) in the shards that are
    /// neither products nor categories.
    /// </summary>
    public static IReadOnlyList<string> CandidateShards(string stablePath, ManifestRoot root, int productsPerShard)
    {
        ArgumentNullException.ThrowIfNull(stablePath);
        ArgumentNullException.ThrowIfNull(root);
        if (stablePath is "/index.html" or "/home.json" or "/config.json" or "/404.html")
        {
            return root.Shards.ContainsKey("site") ? ["site"] : [];
        }

        if (TryProductId(stablePath, out var id))
        {
            var shard = string.Create(CultureInfo.InvariantCulture, $"products-{id / productsPerShard}");
            return root.Shards.ContainsKey(shard) ? [shard] : [];
        }

        if (stablePath.StartsWith("/categories/", StringComparison.Ordinal))
        {
            return [.. root.Shards.Keys.Where(n => n.StartsWith("categories-", StringComparison.Ordinal)).OrderBy(ShardNumber).ThenBy(n => n, StringComparer.Ordinal)];
        }

        return [.. root.Shards.Keys.Where(n => !n.StartsWith("products-", StringComparison.Ordinal) && !n.StartsWith("categories-", StringComparison.Ordinal))];
    }

    private static long ShardNumber(string name)
    {
        var dash = name.LastIndexOf('-');
        return dash >= 0 && long.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue;
    }

    private static bool TryProductId(string path, out long id)
    {
        id = 0;
        const string prefix = "/products/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var dot = path.LastIndexOf('.');
        return dot > prefix.Length && long.TryParse(path.AsSpan(prefix.Length, dot - prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;
    }
}
