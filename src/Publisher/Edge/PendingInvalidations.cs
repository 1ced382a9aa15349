using Microsoft.Extensions.Logging;
using Npgsql;
using Static.Shared.Artifacts;
using Static.Shared.Configuration;

namespace Static.Publisher.Edge;

/// <summary>What a delivery did: entries the CDN accepted, and batches still owed (recorded, retried next run).</summary>
public readonly record struct InvalidationDelivery(int Sent, int StillPending);

/// <summary>
/// The invalidations the publisher owes the CDN (table <c>pending_invalidations</c>). A publish or rollback
/// records its paths (and the cache tags chosen for CloudFront) in the same transaction that makes its
/// version live; delivery happens after, and a batch is deleted only once the CDN took it, so nothing is
/// ever dropped.
/// </summary>
public sealed partial class PendingInvalidations(NpgsqlDataSource dataSource, ICdnInvalidator cdn, ILogger<PendingInvalidations> logger)
{
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

    /// <summary>Sends every owed batch, oldest first; a failure is recorded on its row and does not stop the others.</summary>
    public async Task<InvalidationDelivery> DeliverAsync(CancellationToken cancellationToken)
    {
        var batches = new List<(long Id, long Version, InvalidationRequest Request)>();
        await using (var select = dataSource.CreateCommand("select id, version, paths, tags, tagged_paths from pending_invalidations order by id"))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                batches.Add((reader.GetInt64(0), reader.GetInt64(1), new InvalidationRequest(
                    reader.GetFieldValue<string[]>(2), reader.GetFieldValue<string[]>(3), reader.GetFieldValue<string[]>(4).ToHashSet(StringComparer.Ordinal))));
            }
        }

        var sent = 0;
        var pending = 0;
        foreach (var (id, version, request) in batches)
        {
            try
            {
                sent += await cdn.InvalidateAsync(version, request, cancellationToken).ConfigureAwait(false);
                await using var delete = dataSource.CreateCommand("delete from pending_invalidations where id = @id");
                delete.Parameters.AddWithValue("id", id);
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidationFailedException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                pending++;
                LogFailed(logger, request.Paths.Count, version, e.Message);
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
