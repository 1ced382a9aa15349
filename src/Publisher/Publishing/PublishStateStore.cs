using Npgsql;
using Static.Shared.Configuration;
using NpgsqlTypes;
using Static.Shared.Manifests;
using Static.Shared.Publishes;

namespace Static.Publisher.Publishing;

/// <summary>A live artifact as recorded in the <c>artifacts</c> table (the live manifest in rows).</summary>
public sealed record LiveArtifact(string Path, string Sha256, string HeadersHash, string Shard, int Size);

/// <summary>An entity's version at the live publish, and the listings a product was in.</summary>
public sealed record PublishedEntity(string Key, long RowVersion, string[] ListingKeys);

/// <summary>What is live: the artifacts, the entity versions they were rendered from, the root manifest.</summary>
public sealed record LiveState(
    IReadOnlyDictionary<string, LiveArtifact> Artifacts,
    IReadOnlyDictionary<string, PublishedEntity> Entities,
    long? Version,
    ManifestRoot? Root,
    string? RootSha256,
    string? SettingsHash);

/// <summary>Another publish holds the lock.</summary>
public sealed class PublishBusyException(string message) : Exception(message);

/// <summary>An artifact written by this run, as it goes into the <c>artifacts</c> table.</summary>
public sealed record ArtifactRow(string Path, string Sha256, string HeadersHash, int Size, string Shard, string[] DependencyKeys);

/// <summary>
/// The publisher's state: its runs (through <see cref="PublishesStore"/>), the live manifest rows, the
/// dependency index and the publisher's lock.
/// </summary>
public sealed class PublishStateStore(NpgsqlDataSource dataSource)
{
    private readonly PublishesStore publishes = new(dataSource);

    // The live state this process last read or committed, and the newest run it stands for. `publisher run` publishes
    // every few seconds, and reading every live row each time is most of a small publish at scale (1.8 s of 3.4 s at
    // 100,000 products); while no other run has been recorded since, the rows are what this process left.
    private WarmState? warm;

    // The settings fingerprint of the run this process started last: the one LoadLiveAsync reads back once it succeeds.
    private (long Run, string SettingsHash) started;

    private sealed record WarmState(long NewestRun, Dictionary<string, LiveArtifact> Artifacts, Dictionary<string, PublishedEntity> Entities, LiveState State);

    /// <summary>How many times <see cref="LoadLiveAsync"/> read the live rows from the database (not the warm copy).</summary>
    public int LiveReads => Volatile.Read(ref liveReads);

    private int liveReads;

    /// <summary>Held by publish, rollback, resume and gc: never two at once on one database.</summary>
    public const long PublisherLockKey = 0x5374_6174_6963_0002;

    /// <summary>
    /// Takes the publisher lock on a dedicated connection, or throws <see cref="PublishBusyException"/> naming the
    /// holder. With <paramref name="wait"/>, tries again every 100 ms for that long first (an operator's command
    /// such as verify outlasts the short incremental publishes of a busy admin).
    /// </summary>
    public async Task<IAsyncDisposable> AcquireLockAsync(CancellationToken cancellationToken, TimeSpan wait = default)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand("select pg_try_advisory_lock(@key)", connection);
            command.Parameters.AddWithValue("key", PublisherLockKey);
            var deadline = DateTime.UtcNow + wait;
            while (true)
            {
                if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
                {
                    return new HeldLock(connection);
                }

                if (DateTime.UtcNow >= deadline)
                {
                    break;
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }

            var holder = await PublishesStore.DescribeRunningAsync(connection, cancellationToken).ConfigureAwait(false);
            throw new PublishBusyException($"Another publish holds the publisher lock ({holder}); this run changed nothing. Try again when it finishes.");
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<long> StartAsync(string trigger, bool full, string settingsHash, CancellationToken cancellationToken)
    {
        var run = await publishes.StartRunAsync(trigger, full, settingsHash, cancellationToken).ConfigureAwait(false);
        started = (run, settingsHash);
        return run;
    }

    /// <summary>
    /// What is live. Read from the database, unless this process read or committed it last and no run has been
    /// recorded since (one query for the newest run instead of every live row); callers hold the publisher lock.
    /// </summary>
    public async Task<LiveState> LoadLiveAsync(CancellationToken cancellationToken)
    {
        var newest = await publishes.NewestRunAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref warm) is { } known && known.NewestRun == newest)
        {
            return known.State;
        }

        Interlocked.Increment(ref liveReads);
        var artifacts = new Dictionary<string, LiveArtifact>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("select path, sha256, headers_hash, shard, size from artifacts"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var row = new LiveArtifact(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4));
                artifacts[row.Path] = row;
            }
        }

        var entities = new Dictionary<string, PublishedEntity>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("select entity_key, row_version, listing_keys from published_entities"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var row = new PublishedEntity(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<string[]>(2));
                entities[row.Key] = row;
            }
        }

        var settingsHash = await publishes.LastSettingsHashAsync(cancellationToken).ConfigureAwait(false);
        LiveState state;
        if (await publishes.FindLiveManifestAsync(cancellationToken).ConfigureAwait(false) is { } live)
        {
            var root = ManifestSharding.DeserializeRoot(System.Text.Encoding.UTF8.GetBytes(live.Json));
            state = new LiveState(artifacts, entities, live.Version, root, live.Sha256, settingsHash);
        }
        else
        {
            state = new LiveState(artifacts, entities, null, null, null, settingsHash);
        }

        // Tagged with the newest run seen before the reads: a run recorded meanwhile makes the next call read again.
        Volatile.Write(ref warm, new WarmState(newest, artifacts, entities, state));
        return state;
    }

    /// <summary>
    /// After <paramref name="commit"/> is in the database: the live state it left, made from the warm one as the commit
    /// changed the rows (copies: a run still holding the old state keeps it whole). Without a warm state, or after
    /// another process's run, nothing is kept and the next <see cref="LoadLiveAsync"/> reads the rows.
    /// </summary>
    private void Advance(PublishCommit commit)
    {
        if (Volatile.Read(ref warm) is not { } known || started.Run != commit.Version)
        {
            Volatile.Write(ref warm, null);
            return;
        }

        var artifacts = new Dictionary<string, LiveArtifact>(known.Artifacts, StringComparer.Ordinal);
        foreach (var path in commit.Removed)
        {
            artifacts.Remove(path);
        }

        foreach (var row in commit.Written)
        {
            artifacts[row.Path] = new LiveArtifact(row.Path, row.Sha256, row.HeadersHash, row.Shard, row.Size);
        }

        var entities = new Dictionary<string, PublishedEntity>(known.Entities, StringComparer.Ordinal);
        foreach (var key in commit.RemovedEntities)
        {
            entities.Remove(key);
        }

        foreach (var entity in commit.Entities)
        {
            entities[entity.Key] = entity;
        }

        var previous = known.State;
        var state = commit.ManifestJson is { } json
            ? new LiveState(artifacts, entities, commit.Version, ManifestSharding.DeserializeRoot(System.Text.Encoding.UTF8.GetBytes(json)), commit.ManifestSha256, started.SettingsHash)
            : new LiveState(artifacts, entities, previous.Version, previous.Root, previous.RootSha256, started.SettingsHash);
        Volatile.Write(ref warm, new WarmState(commit.Version, artifacts, entities, state));
    }

    /// <summary>
    /// The live manifest's rows with their dependency keys (from which each object's cache tags are derived):
    /// what <c>publisher verify</c> checks the store against and repairs from.
    /// </summary>
    public async Task<IReadOnlyList<ArtifactRow>> LoadLiveRowsAsync(CancellationToken cancellationToken)
    {
        var rows = new List<ArtifactRow>();
        await using var command = dataSource.CreateCommand("select path, sha256, headers_hash, size, shard, dependency_keys from artifacts order by path");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new ArtifactRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4), reader.GetFieldValue<string[]>(5)));
        }

        return rows;
    }

    /// <summary>Chooses the CloudFront cache tags for a run's paths from the live rows (before they are replaced).</summary>
    public async Task<Edge.InvalidationRequest> PlanInvalidationAsync(IReadOnlyList<string> paths, CloudFrontSection limits, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await Edge.PendingInvalidations.PlanAsync(connection, null, paths, limits, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The dependency index: every live path that depended on any of <paramref name="keys"/>.</summary>
    public async Task<IReadOnlyList<string>> FindDependentsAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return [];
        }

        await using var command = dataSource.CreateCommand("select path from artifacts where dependency_keys && @keys");
        command.Parameters.AddWithValue("keys", keys.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }

    /// <summary>
    /// Records a completed run in one transaction: the artifact rows written and removed, the entity versions,
    /// and the publishes row. Called after the root manifest is in the store (so a crash in between leaves
    /// the database one version behind the store, which the next run repairs by re-uploading).
    /// </summary>
    public async Task CommitAsync(PublishCommit commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commit);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        await WriteArtifactsAsync(connection, transaction, commit.Version, commit.Written, commit.Removed, cancellationToken).ConfigureAwait(false);

        if (commit.RemovedEntities.Count > 0)
        {
            await using var delete = new NpgsqlCommand("delete from published_entities where entity_key = any(@keys)", connection, transaction);
            delete.Parameters.AddWithValue("keys", commit.RemovedEntities.ToArray());
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (commit.Entities.Count > 0)
        {
            await ExecuteAsync(connection, transaction, "create temp table incoming_entities (like published_entities) on commit drop", cancellationToken).ConfigureAwait(false);
            await using (var writer = await connection.BeginBinaryImportAsync(
                "copy incoming_entities (entity_key, row_version, listing_keys) from stdin (format binary)", cancellationToken).ConfigureAwait(false))
            {
                foreach (var entity in commit.Entities)
                {
                    await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(entity.Key, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(entity.RowVersion, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(entity.ListingKeys, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                }

                await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, transaction,
                """
                insert into published_entities select * from incoming_entities
                on conflict (entity_key) do update set row_version = excluded.row_version, listing_keys = excluded.listing_keys
                where (published_entities.row_version, published_entities.listing_keys) is distinct from (excluded.row_version, excluded.listing_keys)
                """, cancellationToken).ConfigureAwait(false);
        }

        await PublishesStore.RecordSucceededAsync(connection, transaction, new PublishTotals(
            commit.Version, commit.ArtifactsTotal, commit.Uploaded, commit.Unchanged, commit.Deleted, commit.BytesUploaded,
            commit.Invalidated, commit.ManifestJson, commit.ManifestSha256), cancellationToken).ConfigureAwait(false);
        await Edge.PendingInvalidations.AddAsync(connection, transaction, commit.Version, commit.Invalidation, cancellationToken).ConfigureAwait(false);
        try
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Whether it committed is unknown: read the rows next time.
            Volatile.Write(ref warm, null);
            throw;
        }

        Advance(commit);
    }

    /// <summary>
    /// Applies one version's artifact rows to the live manifest rows: deletes <paramref name="removed"/>, then
    /// upserts <paramref name="written"/> by binary COPY into a temporary table (rows that did not change are
    /// left alone, so their GIN index entries are not rewritten). Publish and rollback both record through this.
    /// </summary>
    public static async Task WriteArtifactsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long version,
        IReadOnlyCollection<ArtifactRow> written, IReadOnlyCollection<string> removed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(written);
        ArgumentNullException.ThrowIfNull(removed);
        if (removed.Count > 0)
        {
            await using var delete = new NpgsqlCommand("delete from artifacts where path = any(@paths)", connection, transaction);
            delete.Parameters.AddWithValue("paths", removed.ToArray());
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (written.Count == 0)
        {
            return;
        }

        await ExecuteAsync(connection, transaction, "create temp table incoming_artifacts (like artifacts) on commit drop", cancellationToken).ConfigureAwait(false);
        await using (var writer = await connection.BeginBinaryImportAsync(
            "copy incoming_artifacts (path, sha256, headers_hash, size, shard, dependency_keys, version) from stdin (format binary)", cancellationToken).ConfigureAwait(false))
        {
            foreach (var row in written)
            {
                await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(row.Path, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(row.Sha256, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(row.HeadersHash, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(row.Size, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(row.Shard, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(row.DependencyKeys, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(version, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            }

            await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, transaction,
            """
            insert into artifacts select * from incoming_artifacts
            on conflict (path) do update set sha256 = excluded.sha256, headers_hash = excluded.headers_hash, size = excluded.size,
                shard = excluded.shard, dependency_keys = excluded.dependency_keys, version = excluded.version
            where (artifacts.sha256, artifacts.headers_hash, artifacts.shard, artifacts.dependency_keys)
                  is distinct from (excluded.sha256, excluded.headers_hash, excluded.shard, excluded.dependency_keys)
            """, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Invalidation batches still pending at the CDN (all runs; parked ones are not counted).</summary>
    public async Task<int> PendingBatchesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select count(*)::int from pending_invalidations where state = 'pending'");
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Whether the invalidation recorded by run <paramref name="version"/> is still pending. A parked batch is not:
    /// the CDN refused it for good, and the changes that waited on it are released (it stays listed and alerted).
    /// </summary>
    public async Task<bool> InvalidationOwedAsync(long version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select exists (select 1 from pending_invalidations where version = @version and state = 'pending')");
        command.Parameters.AddWithValue("version", version);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Marks a run that has not been committed as failed (a committed run is never touched).</summary>
    public Task FailAsync(long version, string error) => publishes.FailRunAsync(version, error);

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private sealed class HeldLock(NpgsqlConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var unlock = new NpgsqlCommand("select pg_advisory_unlock(@key)", connection);
                unlock.Parameters.AddWithValue("key", PublisherLockKey);
                await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                // Closing the session releases a session lock in any case.
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

/// <summary>Everything a successful run records, in one transaction.</summary>
public sealed record PublishCommit(
    long Version,
    IReadOnlyList<ArtifactRow> Written,
    IReadOnlyList<string> Removed,
    IReadOnlyList<PublishedEntity> Entities,
    IReadOnlyList<string> RemovedEntities,
    int ArtifactsTotal,
    int Uploaded,
    int Unchanged,
    int Deleted,
    long BytesUploaded,
    int Invalidated,
    string? ManifestJson,
    string? ManifestSha256,
    Edge.InvalidationRequest Invalidation);
