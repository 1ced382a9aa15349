namespace Static.Publisher.Edge;

/// <summary>
/// What one publish owes the CDN: the exact stable <see cref="Paths"/> (Varnish purges these), and, for
/// CloudFront, cache <see cref="Tags"/> that together cover <see cref="TaggedPaths"/> (CloudFront is sent
/// <c>#tag</c> for those and exact paths or wildcards for the rest).
/// </summary>
public sealed record InvalidationRequest(IReadOnlyList<string> Paths, IReadOnlyList<string> Tags, IReadOnlyCollection<string> TaggedPaths)
{
    /// <summary>
    /// The one entry that invalidates the whole site: a CloudFront wildcard (it counts as one path); the Varnish
    /// invalidator sends it as a BAN of every object. Used for the first version ever published.
    /// </summary>
    public const string Everything = "/*";

    public static InvalidationRequest PathsOnly(IReadOnlyList<string> paths) => new(paths, [], []);

    /// <summary>The paths no tag covers.</summary>
    public IReadOnlyList<string> UntaggedPaths()
    {
        if (TaggedPaths.Count == 0)
        {
            return Paths;
        }

        var covered = TaggedPaths as IReadOnlySet<string> ?? TaggedPaths.ToHashSet(StringComparer.Ordinal);
        return [.. Paths.Where(p => !covered.Contains(p))];
    }
}

/// <summary>The tags chosen and the paths they cover.</summary>
public sealed record CacheTagChoice(IReadOnlyList<string> Tags, IReadOnlySet<string> Covered)
{
    public static CacheTagChoice None { get; } = new([], new HashSet<string>(StringComparer.Ordinal));
}

/// <summary>
/// Chooses CloudFront <c>#tag</c> entries for a publish's changed paths. A tag is worth an entry when it
/// covers at least <c>minPaths</c> changed paths (each tag replaces that many path entries) and at least
/// <c>minShare</c> of every object carrying it changed (a tag drops all its objects, changed or not, so a
/// tag shared by many unchanged pages would refetch them for nothing). Greedy: the tag covering the most
/// still-uncovered paths first. Only tags the cached objects actually carry count: the caller passes each
/// path's tags as they were published (<see cref="Static.Shared.Artifacts.SurrogateKeys.For(string, IReadOnlyList{string})"/>,
/// capped at 50 as CloudFront stores them), and each tag's membership over all live objects.
/// </summary>
public static class CacheTagPlanner
{
    public static CacheTagChoice Choose(
        IReadOnlyDictionary<string, IReadOnlyList<string>> tagsByPath, IReadOnlyDictionary<string, int> membership, int minPaths, double minShare)
    {
        ArgumentNullException.ThrowIfNull(tagsByPath);
        ArgumentNullException.ThrowIfNull(membership);
        if (minPaths <= 0)
        {
            return CacheTagChoice.None;
        }

        var pathsByTag = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (path, tags) in tagsByPath)
        {
            foreach (var tag in tags.Where(t => !t.StartsWith("path:", StringComparison.Ordinal)))
            {
                if (!pathsByTag.TryGetValue(tag, out var list))
                {
                    pathsByTag[tag] = list = [];
                }

                list.Add(path);
            }
        }

        var candidates = pathsByTag
            .Where(t => t.Value.Count >= minPaths && membership.TryGetValue(t.Key, out var all) && t.Value.Count >= minShare * all)
            .ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        var covered = new HashSet<string>(StringComparer.Ordinal);
        var chosen = new List<string>();
        while (candidates.Count > 0)
        {
            var (best, gain) = candidates
                .Select(c => (Tag: c.Key, Gain: c.Value.Count(p => !covered.Contains(p))))
                .OrderByDescending(c => c.Gain).ThenBy(c => c.Tag, StringComparer.Ordinal).First();
            if (gain < minPaths)
            {
                break;
            }

            chosen.Add(best);
            covered.UnionWith(candidates[best]);
            candidates.Remove(best);
        }

        chosen.Sort(StringComparer.Ordinal);
        return new CacheTagChoice(chosen, covered);
    }
}
