using Npgsql;

namespace Static.Shared.Publishes;

/// <summary>One publish run as the admin API reports it, with the invalidation batches it still owes the CDN.</summary>
public sealed record PublishRun(
    long Version, string State, string Trigger, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, bool FullRender,
    int? ArtifactsTotal, int? ArtifactsUploaded, int? ArtifactsUnchanged, int? ObjectsDeleted, long? BytesUploaded,
    int? PathsInvalidated, int InvalidationBatchesPending, string? Error);

/// <summary>One row of <c>publisher versions</c>: a run, and whether it is the live one and the pinned one.</summary>
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

/// <summary>The live manifest root as recorded: the newest succeeded run that has a manifest of its own.</summary>
public sealed record LiveManifest(long Version, string Json, string? Sha256);

/// <summary>A run's state and its manifest root (null when the run changed nothing and recorded none).</summary>
public sealed record RunManifest(string State, string? Json);

/// <summary>What a successful publish records on its run's row.</summary>
public sealed record PublishTotals(
    long Version, int ArtifactsTotal, int Uploaded, int Unchanged, int Deleted, long BytesUploaded, int Invalidated,
    string? ManifestJson, string? ManifestSha256);

/// <summary>What a rollback records as its own (succeeded) run.</summary>
public sealed record RollbackRun(
    long RestoredVersion, int ArtifactsTotal, int Restored, int Deleted, long BytesUploaded, string ManifestJson, string ManifestSha256);

/// <summary>
/// Publish health for the alerting gauges: the live version's age (NaN when none) and number, the invalidation
/// batches pending at the CDN and those refused at least once, failed runs, runs "running" for over an hour,
/// and invalidation batches parked (refused for good: the edge may be stale until its TTL).
/// </summary>
public sealed record PublishesHealth(
    double LiveVersionAgeSeconds, long LiveVersion, long InvalidationsPending, long InvalidationsFailing, long Failed, long Stuck, long InvalidationsParked = 0);

/// <summary>
/// The <c>publishes</c> table: one row per publish or rollback run (its version), with the root manifest a
/// succeeded run made live. All publishes SQL lives here; methods that take a connection and transaction
/// join the caller's transaction (a publish records its row with its artifact rows, atomically).
/// </summary>
public sealed class PublishesStore(NpgsqlDataSource dataSource)
{
    private const int ErrorLimit = 4000;

    /// <summary>The columns <see cref="ReadRun"/> reads, for a query over <c>publishes p</c>.</summary>
    internal const string RunColumns =
        """
        p.version, p.state, p.trigger, p.started_at, p.finished_at, p.full_render, p.artifacts_total, p.artifacts_uploaded,
        p.artifacts_unchanged, p.objects_deleted, p.bytes_uploaded, p.paths_invalidated,
        (select count(*)::int from pending_invalidations i where i.version = p.version), p.error
        """;

    /// <summary>Starts a run: inserts its <c>running</c> row and returns its version.</summary>
    public async Task<long> StartRunAsync(string trigger, bool full, string settingsHash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "insert into publishes (state, trigger, full_render, settings_hash) values ('running', @trigger, @full, @settings) returning version");
        command.Parameters.AddWithValue("trigger", trigger);
        command.Parameters.AddWithValue("full", full);
        command.Parameters.AddWithValue("settings", settingsHash);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Records a successful run on its row, inside the caller's transaction (with the artifact rows it wrote).
    /// </summary>
    public static async Task RecordSucceededAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PublishTotals totals, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(totals);
        await using var update = new NpgsqlCommand(
            """
            update publishes set state = 'succeeded', finished_at = now(), artifacts_total = @total, artifacts_uploaded = @uploaded,
                artifacts_unchanged = @unchanged, objects_deleted = @deleted, bytes_uploaded = @bytes, paths_invalidated = @invalidated,
                manifest = @manifest::jsonb, manifest_sha256 = @manifestSha
            where version = @version
            """, connection, transaction);
        update.Parameters.AddWithValue("total", totals.ArtifactsTotal);
        update.Parameters.AddWithValue("uploaded", totals.Uploaded);
        update.Parameters.AddWithValue("unchanged", totals.Unchanged);
        update.Parameters.AddWithValue("deleted", totals.Deleted);
        update.Parameters.AddWithValue("bytes", totals.BytesUploaded);
        update.Parameters.AddWithValue("invalidated", totals.Invalidated);
        update.Parameters.AddWithValue("manifest", (object?)totals.ManifestJson ?? DBNull.Value);
        update.Parameters.AddWithValue("manifestSha", (object?)totals.ManifestSha256 ?? DBNull.Value);
        update.Parameters.AddWithValue("version", totals.Version);
        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Marks a run that has not been committed as failed (a committed run is never touched); the error is cut
    /// to 4,000 characters. Not cancellable: it records why a run stopped, including a cancelled one.
    /// </summary>
    public async Task FailRunAsync(long version, string error)
    {
        ArgumentNullException.ThrowIfNull(error);
        await using var command = dataSource.CreateCommand(
            "update publishes set state = 'failed', finished_at = now(), error = @error where version = @version and state = 'running'");
        command.Parameters.AddWithValue("error", error.Length > ErrorLimit ? error[..ErrorLimit] : error);
        command.Parameters.AddWithValue("version", version);
        await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a rollback's run (trigger <c>rollback</c>, <c>running</c>): its version is the new version number
    /// the restored content is published under, so versions only move forward.
    /// </summary>
    public async Task<long> StartRollbackAsync(long restoredVersion, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "insert into publishes (state, trigger, full_render, restored_version) values ('running', 'rollback', false, @target) returning version");
        command.Parameters.AddWithValue("target", restoredVersion);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Records a rollback's run (<see cref="StartRollbackAsync"/>) as succeeded with the root it made live,
    /// inside the caller's transaction.
    /// </summary>
    public static async Task RecordRollbackAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long version, RollbackRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await using var update = new NpgsqlCommand(
            """
            update publishes set state = 'succeeded', finished_at = now(), artifacts_total = @total, artifacts_uploaded = @restored,
                artifacts_unchanged = @unchanged, objects_deleted = @deleted, bytes_uploaded = @bytes,
                manifest = @manifest::jsonb, manifest_sha256 = @sha, restored_version = @target
            where version = @version and state = 'running'
            """, connection, transaction);
        update.Parameters.AddWithValue("total", run.ArtifactsTotal);
        update.Parameters.AddWithValue("restored", run.Restored);
        update.Parameters.AddWithValue("unchanged", run.ArtifactsTotal - run.Restored);
        update.Parameters.AddWithValue("deleted", run.Deleted);
        update.Parameters.AddWithValue("bytes", run.BytesUploaded);
        update.Parameters.AddWithValue("manifest", run.ManifestJson);
        update.Parameters.AddWithValue("sha", run.ManifestSha256);
        update.Parameters.AddWithValue("target", run.RestoredVersion);
        update.Parameters.AddWithValue("version", version);
        if (await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
        {
            throw new InvalidOperationException($"The rollback's run {version} is no longer running; nothing was recorded.");
        }
    }

    /// <summary>
    /// Names the newest run still <c>running</c> ("version N (trigger) started …"), or "another process",
    /// for the message of a publish that finds the lock taken. Runs on the caller's connection.
    /// </summary>
    public static async Task<string> DescribeRunningAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var who = new NpgsqlCommand(
            """
            select coalesce((select 'version ' || version || ' (' || trigger || ') started ' || to_char(started_at, 'YYYY-MM-DD HH24:MI:SS TZ')
                             from publishes where state = 'running' order by version desc limit 1), 'another process')
            """, connection);
        return (string)(await who.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The settings hash of the newest succeeded run (null before the first).</summary>
    /// <summary>
    /// The newest run of any kind and state (0 before the first): every change to the live rows is made by a run
    /// (publish or rollback), so while this stays the same they have not changed.
    /// </summary>
    public async Task<long> NewestRunAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select coalesce(max(version), 0) from publishes");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<string?> LastSettingsHashAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select settings_hash from publishes where state = 'succeeded' order by version desc limit 1");
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <summary>The live manifest root: the newest succeeded run with a manifest; null before the first publish.</summary>
    public async Task<LiveManifest?> FindLiveManifestAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select version, manifest::text, manifest_sha256 from publishes where state = 'succeeded' and manifest is not null order by version desc limit 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new LiveManifest(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2))
            : null;
    }

    /// <summary>Run <paramref name="version"/>'s state and manifest root; null when there is no such run.</summary>
    public async Task<RunManifest?> FindRunManifestAsync(long version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select state, manifest::text from publishes where version = @version");
        command.Parameters.AddWithValue("version", version);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new RunManifest(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1))
            : null;
    }

    /// <summary>
    /// The manifest roots garbage collection keeps, by version: the newest <paramref name="keep"/> succeeded
    /// runs with a manifest, the version a rollback pinned, and every version that stopped being live less than
    /// <paramref name="minAge"/> ago (replaced by the next run with a manifest, by the database clock), so what
    /// left the live manifest stays on the store at least that long whatever <paramref name="keep"/> says.
    /// </summary>
    public async Task<IReadOnlyDictionary<long, string>> KeptManifestsAsync(int keep, TimeSpan minAge, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            with runs as (
                select version, manifest, lead(finished_at) over (order by version) as replaced_at
                from publishes where manifest is not null and state = 'succeeded'
            )
            select version, manifest::text from runs
            where version in (select version from runs order by version desc limit @keep)
               or version = (select pinned_version from publisher_state where id = 1)
               or replaced_at is null
               or replaced_at > now() - @minAge
            """);
        command.Parameters.AddWithValue("minAge", minAge);
        command.Parameters.AddWithValue("keep", keep);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var roots = new SortedDictionary<long, string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            roots[reader.GetInt64(0)] = reader.GetString(1);
        }

        return roots;
    }

    /// <summary>The newest <paramref name="limit"/> runs, newest first, marking the live one and the pinned one.</summary>
    public async Task<IReadOnlyList<VersionRow>> ListVersionsAsync(int limit, CancellationToken cancellationToken)
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

    /// <summary>The newest <paramref name="limit"/> runs, newest first, as the admin API reports them.</summary>
    public async Task<IReadOnlyList<PublishRun>> RecentRunsAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select {RunColumns} from publishes p order by p.version desc limit @limit");
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var runs = new List<PublishRun>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(ReadRun(reader, 0));
        }

        return runs;
    }

    /// <summary>Publish health for the alerting gauges, in one read on the database's clock.</summary>
    public async Task<PublishesHealth> ReadHealthAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select coalesce(extract(epoch from now() - (select max(finished_at) from publishes where state = 'succeeded')), 'NaN')::float8,
                   coalesce((select max(version) from publishes where state = 'succeeded'), 0),
                   (select count(*) from pending_invalidations where state = 'pending'),
                   (select count(*) from pending_invalidations where state = 'pending' and attempts > 0),
                   (select count(*) from publishes where state = 'failed'),
                   (select count(*) from publishes where state = 'running' and started_at < now() - interval '1 hour'),
                   (select count(*) from pending_invalidations where state = 'parked')
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new PublishesHealth(reader.GetDouble(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6));
    }

    /// <summary>Reads a <see cref="PublishRun"/> from the <see cref="RunColumns"/> starting at ordinal <paramref name="o"/>.</summary>
    internal static PublishRun ReadRun(NpgsqlDataReader r, int o) => new(
        r.GetInt64(o), r.GetString(o + 1), r.GetString(o + 2), r.GetFieldValue<DateTimeOffset>(o + 3),
        r.IsDBNull(o + 4) ? null : r.GetFieldValue<DateTimeOffset>(o + 4), r.GetBoolean(o + 5),
        NullableInt(r, o + 6), NullableInt(r, o + 7), NullableInt(r, o + 8), NullableInt(r, o + 9), r.IsDBNull(o + 10) ? null : r.GetInt64(o + 10),
        NullableInt(r, o + 11), r.GetInt32(o + 12), r.IsDBNull(o + 13) ? null : r.GetString(o + 13));

    private static int? NullableInt(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);
}
