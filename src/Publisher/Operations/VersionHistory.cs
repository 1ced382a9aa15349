using Static.Shared.Publishes;

namespace Static.Publisher.Operations;

/// <summary><c>publisher versions</c>: the publishes table, newest first, with which row is live and which is pinned.</summary>
public sealed class VersionHistory(PublishesStore publishes)
{
    public Task<IReadOnlyList<VersionRow>> ListAsync(int limit, CancellationToken cancellationToken) =>
        publishes.ListVersionsAsync(limit, cancellationToken);
}
