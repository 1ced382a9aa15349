using Microsoft.Extensions.Logging;
using Npgsql;

namespace Static.Publisher.Edge;

/// <summary>What a delivery did: entries the CDN accepted, and batches still owed (recorded, retried next run).</summary>
public readonly record struct InvalidationDelivery(int Sent, int StillPending);

/// <summary>
/// The invalidations the publisher owes the CDN (table <c>pending_invalidations</c>). A publish or rollback
/// records its paths in the same transaction that makes its version live; delivery happens after, and a
/// batch is deleted only once the CDN took it, so nothing is ever dropped.
/// </summary>
public sealed partial class PendingInvalidations(NpgsqlDataSource dataSource, ICdnInvalidator cdn, ILogger<PendingInvalidations> logger)
{
    public static async Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long version, IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            return;
        }

        await using var insert = new NpgsqlCommand("insert into pending_invalidations (version, paths) values (@version, @paths)", connection, transaction);
        insert.Parameters.AddWithValue("version", version);
        insert.Parameters.AddWithValue("paths", paths.ToArray());
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends every owed batch, oldest first; a failure is recorded on its row and does not stop the others.</summary>
    public async Task<InvalidationDelivery> DeliverAsync(CancellationToken cancellationToken)
    {
        var batches = new List<(long Id, long Version, string[] Paths)>();
        await using (var select = dataSource.CreateCommand("select id, version, paths from pending_invalidations order by id"))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                batches.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<string[]>(2)));
            }
        }

        var sent = 0;
        var pending = 0;
        foreach (var (id, version, paths) in batches)
        {
            try
            {
                sent += await cdn.InvalidateAsync(version, paths, cancellationToken).ConfigureAwait(false);
                await using var delete = dataSource.CreateCommand("delete from pending_invalidations where id = @id");
                delete.Parameters.AddWithValue("id", id);
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidationFailedException e)
            {
                pending++;
                LogFailed(logger, paths.Length, version, e.Message);
                await using var update = dataSource.CreateCommand("update pending_invalidations set attempts = attempts + 1, last_error = @error where id = @id");
                update.Parameters.AddWithValue("error", e.Message);
                update.Parameters.AddWithValue("id", id);
                await update.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        return new InvalidationDelivery(sent, pending);
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Invalidation of {Paths} paths for version {Version} failed and stays pending for the next run: {Reason}")]
    private static partial void LogFailed(ILogger logger, int paths, long version, string reason);
}
