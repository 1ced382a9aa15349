using Static.Shared.Configuration;

namespace Static.Publisher.Edge;

/// <summary>
/// Turns changed paths into CloudFront invalidation batches within its limits: exact paths while they are
/// few; a folder with more than <c>wildcardThreshold</c> changed paths becomes one wildcard (which costs
/// one path, and CloudFront allows 15 in flight); batches of at most <c>maxPathsPerRequest</c>.
/// </summary>
public static class InvalidationPlanner
{
    public static IReadOnlyList<IReadOnlyList<string>> Plan(IReadOnlyCollection<string> paths, CloudFrontSection limits)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(limits);
        var distinct = paths.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var byFolder = distinct.GroupBy(p => p[..(p.LastIndexOf('/') + 1)], StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        var entries = new List<string>();
        var wildcards = 0;
        foreach (var folder in byFolder)
        {
            if (folder.Count() > limits.WildcardThreshold && wildcards < limits.MaxWildcards && folder.Key != "/")
            {
                entries.Add(folder.Key + "*");
                wildcards++;
            }
            else
            {
                entries.AddRange(folder);
            }
        }

        entries.Sort(StringComparer.Ordinal);
        return entries.Chunk(limits.MaxPathsPerRequest).Select(b => (IReadOnlyList<string>)b).ToList();
    }
}
