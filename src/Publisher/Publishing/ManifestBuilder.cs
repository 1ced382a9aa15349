using Static.Shared.Manifests;

namespace Static.Publisher.Publishing;

/// <summary>The new manifest: the shards to upload (named by their hash), the root's bytes, and whether anything changed.</summary>
internal sealed record ManifestPlan(bool Changed, IReadOnlyList<(string Key, byte[] Bytes)> Shards, byte[] RootBytes, string RootSha256);

/// <summary>
/// Builds the next manifest from the live one: start from the live entries, apply this run's hashes and
/// removals, rebuild the touched shards only (a shard whose bytes come out the same is not re-uploaded),
/// drop shards left empty. The root's version moves only when something changed.
/// </summary>
internal static class ManifestBuilder
{
    public static ManifestPlan Build(LiveState live, IReadOnlyList<RenderedItem> rendered, IReadOnlyList<RenderedItem> changed, IReadOnlyList<string> removed, long version)
    {
        var entries = new Dictionary<string, (string Sha, string Shard)>(live.Artifacts.Count + rendered.Count, StringComparer.Ordinal);
        foreach (var a in live.Artifacts.Values)
        {
            entries[a.Path] = (a.Sha256, a.Shard);
        }

        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in rendered)
        {
            if (entries.TryGetValue(r.Path, out var was) && was.Shard != r.Shard)
            {
                touched.Add(was.Shard);
            }

            entries[r.Path] = (r.Sha256, r.Shard);
        }

        foreach (var c in changed)
        {
            touched.Add(c.Shard);
        }

        foreach (var path in removed)
        {
            touched.Add(entries[path].Shard);
            entries.Remove(path);
        }

        var rootShards = new SortedDictionary<string, string>(live.Root?.Shards ?? new SortedDictionary<string, string>(), StringComparer.Ordinal);
        if (live.Root is null)
        {
            touched.UnionWith(entries.Values.Select(e => e.Shard));
        }

        var shards = new List<(string Key, byte[] Bytes)>();
        foreach (var group in entries.Where(e => touched.Contains(e.Value.Shard)).GroupBy(e => e.Value.Shard))
        {
            var shard = new ManifestShard(ObjectKeys.FormatVersion, group.Key,
                new SortedDictionary<string, string>(group.ToDictionary(e => e.Key, e => e.Value.Sha), StringComparer.Ordinal));
            var (bytes, hash) = ManifestSharding.Serialize(shard);
            if (!rootShards.TryGetValue(group.Key, out var previous) || previous != hash)
            {
                shards.Add((ObjectKeys.Shard(group.Key, hash), bytes));
            }

            rootShards[group.Key] = hash;
        }

        var occupied = entries.Values.Select(e => e.Shard).ToHashSet(StringComparer.Ordinal);
        foreach (var emptied in touched.Where(s => !occupied.Contains(s)))
        {
            rootShards.Remove(emptied);
        }

        var changedAnything = live.Root is null || changed.Count > 0 || removed.Count > 0 || shards.Count > 0;
        var root = new ManifestRoot(ObjectKeys.FormatVersion, changedAnything ? version : live.Version ?? version,
            ObjectKeys.ShardUrlTemplate, ObjectKeys.ImmutableUrlTemplate, rootShards);
        var rootBytes = ManifestSharding.Serialize(root);
        return new ManifestPlan(changedAnything, shards, rootBytes, ContentHash.Sha256(rootBytes));
    }
}
