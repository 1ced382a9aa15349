using Npgsql;
using Static.Api.Database;

namespace Static.Api.Admin;

public sealed record PublishRun(
    long Version, string State, string Trigger, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, bool FullRender,
    int? ArtifactsTotal, int? ArtifactsUploaded, int? ArtifactsUnchanged, int? ObjectsDeleted, long? BytesUploaded,
    int? PathsInvalidated, int InvalidationBatchesPending, string? Error);

/// <summary>
/// A publish request (an outbox row: an admin change or a republish): <c>pending</c> until a publish includes
/// it, <c>retrying</c> after a failed attempt, <c>published</c> once the publish and its invalidation succeeded.
/// </summary>
public sealed record PublishRequestStatus(
    long Id, string State, string Kind, long? EntityId, string Change, DateTimeOffset RequestedAt, DateTimeOffset? PublishedAt,
    long? Version, int Attempts, string? LastError, PublishRun? Publish);

/// <summary>Publish status for the admin API, from the primary (the publisher writes it there).</summary>
public sealed class PublishStatusReader(PrimaryDatabase primary)
{
    private const string RunColumns =
        """
        p.version, p.state, p.trigger, p.started_at, p.finished_at, p.full_render, p.artifacts_total, p.artifacts_uploaded,
        p.artifacts_unchanged, p.objects_deleted, p.bytes_uploaded, p.paths_invalidated,
        (select count(*)::int from pending_invalidations i where i.version = p.version), p.error
        """;

    public async Task<IReadOnlyList<PublishRun>> RecentAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = primary.DataSource.CreateCommand($"select {RunColumns} from publishes p order by p.version desc limit @limit");
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var runs = new List<PublishRun>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(ReadRun(reader, 0));
        }

        return runs;
    }

    public async Task<PublishRequestStatus?> RequestAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = primary.DataSource.CreateCommand(
            $"""
            select o.id, o.entity_type, o.entity_id, o.change, o.created_at, o.processed_at, o.published_version, o.attempts, o.last_error,
                   p.version is not null, {RunColumns}
            from outbox o left join publishes p on p.version = o.published_version
            where o.id = @id
            """);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var processed = !reader.IsDBNull(5);
        var attempts = reader.GetInt32(7);
        return new PublishRequestStatus(
            reader.GetInt64(0), processed ? "published" : attempts > 0 ? "retrying" : "pending", reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4),
            processed ? reader.GetFieldValue<DateTimeOffset>(5) : null, reader.IsDBNull(6) ? null : reader.GetInt64(6), attempts,
            reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetBoolean(9) ? ReadRun(reader, 10) : null);
    }

    private static PublishRun ReadRun(NpgsqlDataReader r, int o) => new(
        r.GetInt64(o), r.GetString(o + 1), r.GetString(o + 2), r.GetFieldValue<DateTimeOffset>(o + 3),
        r.IsDBNull(o + 4) ? null : r.GetFieldValue<DateTimeOffset>(o + 4), r.GetBoolean(o + 5),
        Int(r, o + 6), Int(r, o + 7), Int(r, o + 8), Int(r, o + 9), r.IsDBNull(o + 10) ? null : r.GetInt64(o + 10), Int(r, o + 11),
        r.GetInt32(o + 12), r.IsDBNull(o + 13) ? null : r.GetString(o + 13));

    private static int? Int(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
}
