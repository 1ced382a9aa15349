using Npgsql;
using StackExchange.Redis;

namespace Static.Api.Admin;

/// <summary>The primary, for admin writes and migrations, when reads go to a replica.</summary>
public sealed record PrimaryDatabase(NpgsqlDataSource DataSource);

/// <summary>
/// Keeps replica lag from refilling the cache with the value an admin write just replaced. The Api reads
/// through the read-only data source (a streaming replica in production). After a write commits, and before
/// the Api evicts, the fence is raised to the primary's WAL position (<c>pg_current_wal_lsn()</c>), in this
/// process and in Redis for the other instances. While a fence is up, a cache miss asks the replica whether
/// it has replayed that far (<c>pg_last_wal_replay_lsn()</c>); if not, the miss reads from the primary. With
/// no replica configured (read = primary) it does nothing.
/// </summary>
public sealed class ReplicaFence(PrimaryDatabase primary, NpgsqlDataSource read, IConnectionMultiplexer redis, string cacheName)
{
    /// <summary>Longer than any lag worth waiting for; after it a lagging replica is read again.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    private readonly RedisKey key = cacheName + ":replica-fence";
    private string? localFence;

    public bool HasReplica => !ReferenceEquals(primary.DataSource, read);

    public async Task RaiseAsync(CancellationToken cancellationToken)
    {
        if (!HasReplica)
        {
            return;
        }

        await using var command = primary.DataSource.CreateCommand("select pg_current_wal_lsn()::text");
        var lsn = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        Volatile.Write(ref localFence, lsn);
        try
        {
            await redis.GetDatabase().StringSetAsync(key, lsn, Lifetime).ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // Other instances then rely on their own eviction timing; this one still holds the fence.
        }
    }

    /// <summary>The data source a cache miss should read from now.</summary>
    public async Task<NpgsqlDataSource> ChooseAsync(CancellationToken cancellationToken)
    {
        if (!HasReplica)
        {
            return read;
        }

        string? fence = Volatile.Read(ref localFence);
        try
        {
            fence = (string?)await redis.GetDatabase().StringGetAsync(key).ConfigureAwait(false) ?? fence;
        }
        catch (RedisException)
        {
            // Keep the local fence.
        }

        if (fence is null)
        {
            return read;
        }

        try
        {
            await using var command = read.CreateCommand("select coalesce(pg_last_wal_replay_lsn() >= @fence::pg_lsn, true)");
            command.Parameters.AddWithValue("fence", fence);
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                Interlocked.CompareExchange(ref localFence, null, fence);
                return read;
            }
        }
        catch (NpgsqlException)
        {
            // The replica is unreachable: the primary answers.
        }

        return primary.DataSource;
    }
}
