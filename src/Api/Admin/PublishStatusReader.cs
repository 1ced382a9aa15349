using Static.Api.Database;
using Static.Shared.Outbox;
using Static.Shared.Publishes;

namespace Static.Api.Admin;

/// <summary>Publish status for the admin API, from the primary (the publisher writes it there).</summary>
public sealed class PublishStatusReader(PrimaryDatabase primary)
{
    private readonly PublishesStore publishes = new(primary.DataSource);
    private readonly OutboxStore outbox = new(primary.DataSource);

    public Task<IReadOnlyList<PublishRun>> RecentAsync(int limit, CancellationToken cancellationToken) =>
        publishes.RecentRunsAsync(limit, cancellationToken);

    public Task<PublishRequestStatus?> RequestAsync(long id, CancellationToken cancellationToken) =>
        outbox.FindRequestAsync(id, cancellationToken);
}
