using Static.Shared.Configuration;

namespace Static.Publisher.Edge;

/// <summary>
/// Turns a publish's invalidation into CloudFront batches within its limits: one <c>#tag</c> entry for each
/// chosen cache tag (<see cref="CacheTagPlanner"/>); the remaining paths exact while they are few; a folder
/// with more than <c>wildcardThreshold</c> remaining paths becomes one wildcard (which costs one path, and
/// CloudFront allows 15 in flight); batches of at most <c>maxPathsPerRequest</c> entries.
/// </summary>
public static class InvalidationPlanner
{
    public static IReadOnlyList<IReadOnlyList<string>> Plan(IReadOnlyCollection<string> paths, CloudFrontSection limits)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return Plan(InvalidationRequest.PathsOnly([.. paths]), limits);
    }

    public static IReadOnlyList<IReadOnlyList<string>> Plan(InvalidationRequest request, CloudFrontSection limits)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(limits);
        var distinct = request.UntaggedPaths().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
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
        entries.InsertRange(0, request.Tags.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(t => "#" + t));
        return entries.Chunk(limits.MaxPathsPerRequest).Select(b => (IReadOnlyList<string>)b).ToList();
    }
}
