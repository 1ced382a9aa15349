using System.Globalization;
using Npgsql;
using StackExchange.Redis;
using Static.Api.Database;

namespace Static.Api.Admin;

/// <summary>
/// Keeps replica lag from refilling the cache with the value an admin write just replaced. The Api reads
/// through the read-only data source (a streaming replica in production). After a write commits, and before
/// the Api evicts, the fence is raised to the primary's WAL position (<c>pg_current_wal_lsn()</c>, in bytes),
/// in this process and in Redis for the other instances; it only ever moves forward. While a fence is up, a
/// cache miss asks the replica whether it has replayed that far (<c>pg_last_wal_replay_lsn()</c>); if not,
/// the miss reads from the primary. With no replica configured (read = primary) it does nothing.
/// </summary>
public sealed partial class ReplicaFence(PrimaryDatabase primary, NpgsqlDataSource read, IConnectionMultiplexer redis, string cacheName, ILogger<ReplicaFence> logger)
{
    /// <summary>Longer than any lag worth waiting for; after it a lagging replica is read again.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    // SET the key to ARGV[1] unless it already holds a larger number; keep it ARGV[2] milliseconds.
    private const string MaxScript = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 1
        """;

    private readonly RedisKey key = cacheName + ":replica-fence";
    private long localFence;

    public bool HasReplica => !ReferenceEquals(primary.DataSource, read);

    public async Task RaiseAsync(CancellationToken cancellationToken)
    {
        if (!HasReplica)
        {
            return;
        }

        await using var command = primary.DataSource.CreateCommand("select (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint");
        var lsn = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        for (var seen = Interlocked.Read(ref localFence); lsn > seen; seen = Interlocked.Read(ref localFence))
        {
            if (Interlocked.CompareExchange(ref localFence, lsn, seen) == seen)
            {
                break;
            }
        }

        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(MaxScript, [key],
                [lsn.ToString(CultureInfo.InvariantCulture), ((long)Lifetime.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)]).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Other instances then rely on the delayed second eviction; this one still holds the fence.
            LogRedisFailed(logger, e.Message);
        }
    }

    /// <summary>The data source a cache miss should read from now.</summary>
    public async Task<NpgsqlDataSource> ChooseAsync(CancellationToken cancellationToken)
    {
        if (!HasReplica)
        {
            return read;
        }

        var fence = Interlocked.Read(ref localFence);
        try
        {
            var shared = await redis.GetDatabase().StringGetAsync(key).ConfigureAwait(false);
            if (shared.HasValue && long.TryParse(shared.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > fence)
            {
                fence = value;
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Keep the local fence.
        }

        if (fence == 0)
        {
            return read;
        }

        try
        {
            await using var command = read.CreateCommand("select coalesce(pg_last_wal_replay_lsn() >= '0/0'::pg_lsn + @fence::numeric, true)");
            command.Parameters.AddWithValue("fence", fence);
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                Interlocked.CompareExchange(ref localFence, 0, fence);
                return read;
            }
        }
        catch (NpgsqlException)
        {
            // The replica is unreachable: the primary answers.
        }

        return primary.DataSource;
    }

    [LoggerMessage(EventId = 5020, Level = LogLevel.Warning, Message = "Replica fence: Redis did not take it ({Reason}); other instances rely on the delayed eviction")]
    private static partial void LogRedisFailed(ILogger logger, string reason);
}
