using Npgsql;

namespace Static.Publisher.Operations;

/// <summary>One row of <c>publisher versions</c>.</summary>
public sealed record VersionRow(
    long Version,
    string State,
    string Trigger,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    int? Artifacts,
    int? Uploaded,
    int? Unchanged,
    int? Deleted,
    long? BytesUploaded,
    bool HasManifest,
    long? RestoredVersion,
    bool Live,
    bool Pinned,
    string? Error);

/// <summary>The publishes table, newest first, with which row is live and which is pinned.</summary>
public sealed class VersionHistory(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<VersionRow>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            with live as (select max(version) as version from publishes where state = 'succeeded' and manifest is not null)
            select p.version, p.state, p.trigger, p.started_at, p.finished_at, p.artifacts_total, p.artifacts_uploaded,
                   p.artifacts_unchanged, p.objects_deleted, p.bytes_uploaded, p.manifest is not null, p.restored_version,
                   p.version = (select version from live), p.version = (select pinned_version from publisher_state), p.error
            from publishes p order by p.version desc limit @limit
            """);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<VersionRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new VersionRow(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                NullableInt(reader, 5), NullableInt(reader, 6), NullableInt(reader, 7), NullableInt(reader, 8),
                reader.IsDBNull(9) ? null : reader.GetInt64(9), reader.GetBoolean(10),
                reader.IsDBNull(11) ? null : reader.GetInt64(11),
                !reader.IsDBNull(12) && reader.GetBoolean(12), !reader.IsDBNull(13) && reader.GetBoolean(13),
                reader.IsDBNull(14) ? null : reader.GetString(14)));
        }

        return rows;
    }

    private static int? NullableInt(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);
}
