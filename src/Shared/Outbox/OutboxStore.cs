using Npgsql;
using NpgsqlTypes;
using Static.Shared.Publishes;

namespace Static.Shared.Outbox;

/// <summary>
/// Every change not yet published, as one batch: the row ids, and what republish requests among them asked for
/// (<see cref="All"/>, or extra <see cref="Paths"/> and dependency <see cref="Keys"/>).
/// </summary>
public sealed record PendingChanges(IReadOnlyList<long> Ids, bool All, IReadOnlyList<string> Paths, IReadOnlyList<string> Keys);

/// <summary>The outbox backlog for the alerting gauges: the oldest pending change's age (0 when none) and the count.</summary>
public sealed record OutboxBacklog(double OldestAgeSeconds, long Pending);

/// <summary>
/// A publish request (an outbox row: an admin change or a republish): <c>pending</c> until a publish includes
/// it, <c>retrying</c> after a failed attempt, <c>published</c> once the publish and its invalidation succeeded.
/// </summary>
public sealed record PublishRequestStatus(
    long Id, string State, string Kind, long? EntityId, string Change, DateTimeOffset RequestedAt, DateTimeOffset? PublishedAt,
    long? Version, int Attempts, string? LastError, PublishRun? Publish);

/// <summary>
/// The <c>outbox</c> table: admin changes and republish requests that the publisher owes a publish. The Api
/// enqueues in the transaction of its catalog change; the publisher reads, publishes and marks rows processed.
/// All outbox SQL lives here. The age of a pending change is always measured on the database's clock.
/// </summary>
public sealed class OutboxStore(NpgsqlDataSource dataSource)
{
    /// <summary>The wake-up channel: <see cref="EnqueueAsync"/> NOTIFYs it (delivered on commit); the publisher LISTENs.</summary>
    public const string Channel = "static_outbox";

    /// <summary>At most this many rows go into one batch.</summary>
    public const int BatchLimit = 100_000;

    private const int ErrorLimit = 2000;

    /// <summary>
    /// Inserts an outbox row and NOTIFYs <see cref="Channel"/> with its id, inside the caller's transaction, so
    /// the change and the record that it must be published commit together or not at all. Returns the row's id.
    /// </summary>
    public static async Task<long> EnqueueAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string entityType, long? entityId, string change, string? payload, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            """
            with row as (insert into outbox (entity_type, entity_id, change, payload) values (@type, @entity, @change, @payload::jsonb) returning id)
            select id, pg_notify(@channel, id::text) from row
            """, connection, transaction);
        insert.Parameters.AddWithValue("type", entityType);
        insert.Parameters.Add(new NpgsqlParameter("entity", NpgsqlDbType.Bigint) { Value = (object?)entityId ?? DBNull.Value });
        insert.Parameters.AddWithValue("change", change);
        insert.Parameters.Add(new NpgsqlParameter("payload", NpgsqlDbType.Text) { Value = (object?)payload ?? DBNull.Value });
        insert.Parameters.AddWithValue("channel", Channel);
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return reader.GetInt64(0);
    }

    /// <summary>LISTENs to <see cref="Channel"/> on <paramref name="connection"/> (which must stay open to hear it).</summary>
    public static async Task ListenAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var listen = new NpgsqlCommand($"listen {Channel}", connection);
        await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether any change is waiting to be published.</summary>
    public async Task<bool> AnyPendingAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select exists (select 1 from outbox where processed_at is null)");
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// The age of the oldest change no publish has included yet, or null when there is none (rows published and
    /// waiting only for their invalidation do not count). Both ends are read on the database's clock, so the
    /// caller's clock cannot skew a debounce window.
    /// </summary>
    public async Task<TimeSpan?> OldestPendingAgeAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select extract(epoch from now() - min(created_at))::float8 from outbox where processed_at is null and published_version is null");
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is double seconds ? TimeSpan.FromSeconds(Math.Max(0, seconds)) : null;
    }

    /// <summary>Every change no publish has included yet (oldest first, up to <see cref="BatchLimit"/>), as one batch.</summary>
    public async Task<PendingChanges> ReadPendingAsync(CancellationToken cancellationToken)
    {
        var ids = new List<long>();
        var paths = new List<string>();
        var keys = new List<string>();
        var all = false;
        await using var command = dataSource.CreateCommand(
            """
            select id, entity_type = 'republish', coalesce((payload->>'all')::boolean, false),
                   coalesce(array(select jsonb_array_elements_text(payload->'paths')), '{}'),
                   coalesce(array(select jsonb_array_elements_text(payload->'keys')), '{}')
            from outbox where processed_at is null and published_version is null order by id limit @limit
            """);
        command.Parameters.AddWithValue("limit", BatchLimit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetInt64(0));
            if (reader.GetBoolean(1))
            {
                all |= reader.GetBoolean(2);
                paths.AddRange(reader.GetFieldValue<string[]>(3));
                keys.AddRange(reader.GetFieldValue<string[]>(4));
            }
        }

        return new PendingChanges(ids, all, paths, keys);
    }

    /// <summary>
    /// Marks rows processed by publish <paramref name="version"/> (null: a publish that changed nothing live)
    /// and clears their last error. Rows already processed are left alone.
    /// </summary>
    public async Task MarkPublishedAsync(IReadOnlyCollection<long> ids, long? version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        await using var command = dataSource.CreateCommand(
            "update outbox set processed_at = now(), published_version = @version, last_error = null where id = any(@ids) and processed_at is null");
        command.Parameters.AddWithValue("version", (object?)version ?? DBNull.Value);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records that publish <paramref name="version"/> made rows live but its invalidation is still pending at the
    /// CDN: they are not published again; <see cref="ReleaseInvalidatedAsync"/> marks them processed once the
    /// batch is delivered or parked.
    /// </summary>
    public async Task MarkAwaitingInvalidationAsync(IReadOnlyCollection<long> ids, long version, string error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(error);
        await using var command = dataSource.CreateCommand(
            "update outbox set published_version = @version, attempts = attempts + 1, last_error = @error where id = any(@ids) and processed_at is null");
        command.Parameters.AddWithValue("version", version);
        command.Parameters.AddWithValue("error", error.Length <= ErrorLimit ? error : error[..ErrorLimit]);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether any row is published and waiting for its version's invalidation.</summary>
    public async Task<bool> AnyAwaitingInvalidationAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select exists (select 1 from outbox where processed_at is null and published_version is not null)");
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Marks processed the rows waiting for an invalidation that is no longer pending: delivered (its batch is
    /// gone) or parked (the CDN refused it for good; the change is live in the store). Returns how many.
    /// </summary>
    public async Task<int> ReleaseInvalidatedAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            update outbox o set processed_at = now(), last_error = null
            where o.processed_at is null and o.published_version is not null
              and not exists (select 1 from pending_invalidations i where i.version = o.published_version and i.state = 'pending')
            """);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Counts a failed attempt on rows still pending and records why (cut to 2,000 characters).</summary>
    public async Task RecordFailureAsync(IReadOnlyCollection<long> ids, string error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(error);
        await using var command = dataSource.CreateCommand(
            "update outbox set attempts = attempts + 1, last_error = @error where id = any(@ids) and processed_at is null");
        command.Parameters.AddWithValue("error", error.Length <= ErrorLimit ? error : error[..ErrorLimit]);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The outbox backlog: the oldest pending change's age on the database clock (0 when none) and the count.</summary>
    public async Task<OutboxBacklog> ReadBacklogAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select coalesce(extract(epoch from now() - (select min(created_at) from outbox where processed_at is null)), 0)::float8,
                   (select count(*) from outbox where processed_at is null)
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new OutboxBacklog(reader.GetDouble(0), reader.GetInt64(1));
    }

    /// <summary>One publish request's status, with the publish that included it; null when there is no such request.</summary>
    public async Task<PublishRequestStatus?> FindRequestAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            select o.id, o.entity_type, o.entity_id, o.change, o.created_at, o.processed_at, o.published_version, o.attempts, o.last_error,
                   p.version is not null, {PublishesStore.RunColumns}
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
            reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetBoolean(9) ? PublishesStore.ReadRun(reader, 10) : null);
    }
}
