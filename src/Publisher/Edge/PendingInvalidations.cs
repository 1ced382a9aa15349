using Microsoft.Extensions.Logging;
using Npgsql;
using Static.Shared.Artifacts;
using Static.Shared.Configuration;

namespace Static.Publisher.Edge;

/// <summary>
/// What a delivery did: entries the CDN accepted, batches still owed afterwards (pending, each sent again once
/// due), and batches parked by this delivery.
/// </summary>
public readonly record struct InvalidationDelivery(int Sent, int StillPending, int Parked = 0);

/// <summary>What became of one batch sent by <see cref="PendingInvalidations.RetryAsync"/>: <c>delivered</c>, <c>pending</c> or <c>parked</c>.</summary>
public sealed record InvalidationOutcome(long Id, long Version, int Paths, string State, int Attempts, string? Error);

/// <summary>One owed batch as <c>publisher invalidations</c> lists it; ages and times on the database's clock.</summary>
public sealed record OwedInvalidation(
    long Id, long Version, string State, int Attempts, int Paths, int Tags, string? LastError,
    DateTimeOffset CreatedAt, double AgeSeconds, DateTimeOffset NextAttemptAt, DateTimeOffset? ParkedAt);

/// <summary>
/// The invalidations the publisher owes the CDN (table <c>pending_invalidations</c>). A publish or rollback
/// records its paths (and the cache tags chosen for CloudFront) in the same transaction that makes its
/// version live; delivery happens after, and a batch is deleted only once the CDN took it, so nothing is
/// ever dropped. A refused batch is sent again after a capped exponential backoff
/// (<see cref="InvalidationBackoff"/>); after <c>cdn.invalidationMaxAttempts</c> attempts, or at once when the
/// CDN rejected the request itself, it is <b>parked</b>: kept and listed, logged as an error and counted by
/// the <c>static_invalidations_parked</c> gauge, but no longer owed by the publishes that wait on it (their
/// change is live in the store; the edge may serve the old copy until its TTL). <see cref="RetryAsync"/>
/// makes a parked batch pending again.
/// </summary>
public sealed partial class PendingInvalidations(NpgsqlDataSource dataSource, ICdnInvalidator cdn, PublishConfig config, ILogger<PendingInvalidations> logger)
{
    /// <summary>
    /// How long a claimed batch is held by the delivery that claimed it (its next attempt is moved this far ahead):
    /// another publisher does not send it meanwhile, and a publisher that dies mid-delivery loses it for no longer.
    /// </summary>
    internal static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(15);

    private const int ErrorLimit = 2000;
    private const string BatchColumns = "id, version, paths, tags, tagged_paths, attempts";

    public static async Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long version, InvalidationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Paths.Count == 0)
        {
            return;
        }

        await using var insert = new NpgsqlCommand(
            "insert into pending_invalidations (version, paths, tags, tagged_paths) values (@version, @paths, @tags, @tagged)", connection, transaction);
        insert.Parameters.AddWithValue("version", version);
        insert.Parameters.AddWithValue("paths", request.Paths.ToArray());
        insert.Parameters.AddWithValue("tags", request.Tags.ToArray());
        insert.Parameters.AddWithValue("tagged", request.TaggedPaths.ToArray());
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Chooses cache tags for <paramref name="paths"/> from the tags their live objects were published with
    /// (call it before the new rows replace them: the edge holds the old objects). "/" is served from
    /// /index.html and carries its tags.
    /// </summary>
    public static async Task<InvalidationRequest> PlanAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<string> paths, CloudFrontSection limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.TagMinPaths <= 0 || paths.Count < limits.TagMinPaths)
        {
            return InvalidationRequest.PathsOnly(paths);
        }

        var lookup = paths.Select(p => p == "/" ? ArtifactPath.Home : p).Distinct(StringComparer.Ordinal).ToArray();
        var keysByPath = new Dictionary<string, string[]>(StringComparer.Ordinal);
        await using (var select = new NpgsqlCommand("select path, dependency_keys from artifacts where path = any(@paths)", connection, transaction))
        {
            select.Parameters.AddWithValue("paths", lookup);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                keysByPath[reader.GetString(0)] = reader.GetFieldValue<string[]>(1);
            }
        }

        var tagsByPath = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (keysByPath.TryGetValue(path == "/" ? ArtifactPath.Home : path, out var keys))
            {
                tagsByPath[path] = SurrogateKeys.For(path, keys);
            }
        }

        var counts = tagsByPath.Values.SelectMany(t => t).Where(t => !t.StartsWith("path:", StringComparison.Ordinal))
            .CountBy(t => t, StringComparer.Ordinal).Where(c => c.Value >= limits.TagMinPaths).Select(c => c.Key).ToArray();
        var membership = new Dictionary<string, int>(StringComparer.Ordinal);
        if (counts.Length > 0)
        {
            await using var count = new NpgsqlCommand(
                "select t, (select count(*) from artifacts where dependency_keys @> array[t])::int from unnest(@tags) t", connection, transaction);
            count.Parameters.AddWithValue("tags", counts);
            await using var reader = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // "/" is the same object as /index.html for the tag's members, but a separate cached path.
                membership[reader.GetString(0)] = reader.GetInt32(1) + (tagsByPath.TryGetValue("/", out var home) && home.Contains(reader.GetString(0)) ? 1 : 0);
            }
        }

        var choice = CacheTagPlanner.Choose(tagsByPath, membership, limits.TagMinPaths, limits.TagMinShare);
        return new InvalidationRequest(paths, choice.Tags, choice.Covered);
    }

    /// <summary>
    /// Sends every pending batch whose next attempt is due, oldest first; a failure is recorded on its row (and
    /// may park it) and does not stop the others. A batch not yet due is left for a later delivery.
    /// </summary>
    public async Task<InvalidationDelivery> DeliverAsync(CancellationToken cancellationToken)
    {
        var batches = await ClaimAsync(
            $"""
            update pending_invalidations set next_attempt_at = now() + @lease
            where state = 'pending' and next_attempt_at <= now()
            returning {BatchColumns}
            """, null, cancellationToken).ConfigureAwait(false);
        var sent = 0;
        var parked = 0;
        foreach (var batch in batches)
        {
            var (outcome, entries) = await SendAsync(batch, cancellationToken).ConfigureAwait(false);
            sent += entries;
            parked += outcome.State == "parked" ? 1 : 0;
        }

        await using var count = dataSource.CreateCommand("select count(*)::int from pending_invalidations where state = 'pending'");
        var pending = (int)(await count.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false))!;
        return new InvalidationDelivery(sent, pending, parked);
    }

    /// <summary>
    /// Makes batch <paramref name="id"/> (null: every parked batch) pending again with its attempts reset, and
    /// sends it at once. Returns what became of each; empty when there is no such batch (or none parked).
    /// </summary>
    public async Task<IReadOnlyList<InvalidationOutcome>> RetryAsync(long? id, CancellationToken cancellationToken)
    {
        var batches = await ClaimAsync(
            $"""
            update pending_invalidations
            set state = 'pending', attempts = 0, parked_at = null, next_attempt_at = now() + @lease
            where (@id::bigint is null and state = 'parked') or id = @id
            returning {BatchColumns}
            """, id, cancellationToken).ConfigureAwait(false);
        var outcomes = new List<InvalidationOutcome>();
        foreach (var batch in batches)
        {
            outcomes.Add((await SendAsync(batch, cancellationToken).ConfigureAwait(false)).Outcome);
        }

        return outcomes;
    }

    /// <summary>Every owed batch, pending and parked, oldest first.</summary>
    public async Task<IReadOnlyList<OwedInvalidation>> ListAsync(CancellationToken cancellationToken)
    {
        await using var select = dataSource.CreateCommand(
            """
            select id, version, state, attempts, cardinality(paths), cardinality(tags), last_error, created_at,
                   extract(epoch from now() - created_at)::float8, next_attempt_at, parked_at
            from pending_invalidations order by id
            """);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<OwedInvalidation>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new OwedInvalidation(
                reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetFieldValue<DateTimeOffset>(7), reader.GetDouble(8),
                reader.GetFieldValue<DateTimeOffset>(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10)));
        }

        return rows;
    }

    /// <summary>Runs a claiming UPDATE (it moves the rows' next attempt a <see cref="ClaimLease"/> ahead) and reads the batches it returns, oldest first.</summary>
    private async Task<List<ClaimedBatch>> ClaimAsync(string sql, long? id, CancellationToken cancellationToken)
    {
        var batches = new List<ClaimedBatch>();
        await using var claim = dataSource.CreateCommand(sql);
        claim.Parameters.AddWithValue("lease", ClaimLease);
        claim.Parameters.Add(new NpgsqlParameter("id", NpgsqlTypes.NpgsqlDbType.Bigint) { Value = (object?)id ?? DBNull.Value });
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            batches.Add(new ClaimedBatch(reader.GetInt64(0), reader.GetInt64(1), new InvalidationRequest(
                reader.GetFieldValue<string[]>(2), reader.GetFieldValue<string[]>(3), reader.GetFieldValue<string[]>(4).ToHashSet(StringComparer.Ordinal)),
                reader.GetInt32(5)));
        }

        batches.Sort((a, b) => a.Id.CompareTo(b.Id));
        return batches;
    }

    /// <summary>Sends one claimed batch: deletes it when the CDN took it, otherwise records the failure and its next attempt, or parks it.</summary>
    private async Task<(InvalidationOutcome Outcome, int Sent)> SendAsync(ClaimedBatch batch, CancellationToken cancellationToken)
    {
        var (id, version, request, attempts) = batch;
        try
        {
            var sent = await cdn.InvalidateAsync(version, request, cancellationToken).ConfigureAwait(false);
            await using var delete = dataSource.CreateCommand("delete from pending_invalidations where id = @id");
            delete.Parameters.AddWithValue("id", id);
            await delete.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            return (new InvalidationOutcome(id, version, request.Paths.Count, "delivered", attempts + 1, null), sent);
        }
        catch (Exception e) when (e is InvalidationFailedException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var failures = attempts + 1;
            var park = e is InvalidationFailedException { Permanent: true } || failures >= config.Cdn.InvalidationMaxAttempts;
            var delay = park ? TimeSpan.Zero : InvalidationBackoff.Delay(failures, config.Cdn.InvalidationRetryDelay, config.Cdn.InvalidationRetryMaxDelay, Random.Shared.NextDouble());
            var error = e.Message.Length <= ErrorLimit ? e.Message : e.Message[..ErrorLimit];
            await using var update = dataSource.CreateCommand(
                """
                update pending_invalidations
                set attempts = @attempts, last_error = @error, next_attempt_at = now() + @delay,
                    state = case when @park then 'parked' else 'pending' end, parked_at = case when @park then now() end
                where id = @id
                """);
            update.Parameters.AddWithValue("attempts", failures);
            update.Parameters.AddWithValue("error", error);
            update.Parameters.AddWithValue("delay", delay);
            update.Parameters.AddWithValue("park", park);
            update.Parameters.AddWithValue("id", id);
            await update.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            if (park)
            {
                LogParked(logger, id, version, request.Paths.Count, failures, e.Message);
            }
            else
            {
                LogFailed(logger, id, request.Paths.Count, version, failures, config.Cdn.InvalidationMaxAttempts, delay.TotalSeconds, e.Message);
            }

            return (new InvalidationOutcome(id, version, request.Paths.Count, park ? "parked" : "pending", failures, error), 0);
        }
        catch (OperationCanceledException)
        {
            // Shutting down mid-delivery: give the claim back, so the batch is due again at once.
            await using var release = dataSource.CreateCommand("update pending_invalidations set next_attempt_at = now() where id = @id and state = 'pending'");
            release.Parameters.AddWithValue("id", id);
            await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Invalidation batch {Id} ({Paths} paths, version {Version}) failed, attempt {Attempt} of {MaxAttempts}; sent again in {DelaySeconds:0.#} s: {Reason}")]
    private static partial void LogFailed(ILogger logger, long id, int paths, long version, int attempt, int maxAttempts, double delaySeconds, string reason);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "Invalidation batch {Id} for version {Version} ({Paths} paths) is PARKED after {Attempts} attempt(s): {Reason}. The change is live in the store; the edge may serve the old copy until its TTL. Once the CDN accepts it: publisher invalidations --retry {Id}")]
    private static partial void LogParked(ILogger logger, long id, long version, int paths, int attempts, string reason);

    private sealed record ClaimedBatch(long Id, long Version, InvalidationRequest Request, int Attempts);
}
