using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Artifacts;
using Static.Shared.Configuration;
using Static.Shared.Manifests;
using Static.Shared.Publishes;

namespace Static.Publisher.Operations;

/// <summary>A rollback that cannot be done; nothing was changed.</summary>
public sealed class RollbackException(string message) : Exception(message);

public sealed record RollbackResult(long RestoredVersion, long Run, int Restored, int Deleted, int Unchanged, IReadOnlyList<string> Invalidations, TimeSpan Elapsed);

/// <summary>
/// <c>publisher rollback --to V</c>: reads V's manifest, copies V's immutable objects back onto every stable
/// path whose bytes differ, deletes paths V did not have, makes V's root live, records the run and pins V
/// so that no scheduled or incremental publish undoes it before <c>publisher resume</c>. Every object V
/// needs is read and verified before anything is written.
/// </summary>
public sealed partial class RollbackService(
    PublishConfig config,
    NpgsqlDataSource dataSource,
    PublishesStore publishes,
    PublishStateStore state,
    IObjectStore store,
    Edge.PendingInvalidations pending,
    ILogger<RollbackService> logger)
{
    public async Task<RollbackResult> RollbackAsync(long target, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        await using var held = await state.AcquireLockAsync(cancellationToken).ConfigureAwait(false);

        var root = await LoadRootAsync(target, cancellationToken).ConfigureAwait(false);
        var entries = await ReadEntriesAsync(root, target, cancellationToken).ConfigureAwait(false);
        var live = await state.LoadLiveAsync(cancellationToken).ConfigureAwait(false);

        var changed = entries.Where(e => !live.Artifacts.TryGetValue(e.Key, out var was) || was.Sha256 != e.Value.Sha).Select(e => e.Key).Order(StringComparer.Ordinal).ToList();
        var removed = live.Artifacts.Keys.Where(p => !entries.ContainsKey(p)).Order(StringComparer.Ordinal).ToList();

        // Read and verify every immutable copy first: a rollback that cannot complete writes nothing.
        var copies = new ConcurrentDictionary<string, StoredObject>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(changed, Options(cancellationToken), async (path, ct) =>
        {
            var sha = entries[path].Sha;
            var key = ObjectKeys.Immutable(sha, Path.GetExtension(path));
            var copy = await store.GetAsync(key, ct).ConfigureAwait(false)
                ?? throw new RollbackException($"Version {target} can no longer be restored: {key} (for {path}) is gone from the store (garbage-collected?). Nothing was changed.");
            if (ContentHash.Sha256(copy.Body) != sha)
            {
                throw new RollbackException($"Version {target} cannot be restored: {key} does not hash to its name. Nothing was changed.");
            }

            copies[path] = copy;
        }).ConfigureAwait(false);

        // Versions only move forward: the restored content goes live under a new version number (this run's),
        // its root naming the version it restores. Nothing has been written yet.
        var run = await publishes.StartRollbackAsync(target, cancellationToken).ConfigureAwait(false);
        try
        {
            return await RestoreAsync(target, run, root with { Version = run, Restores = target }, entries, copies, changed, removed, watch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await publishes.FailRunAsync(run, e.Message).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<RollbackResult> RestoreAsync(
        long target, long run, ManifestRoot root, Dictionary<string, (string Sha, string Shard)> entries, ConcurrentDictionary<string, StoredObject> copies,
        List<string> changed, List<string> removed, Stopwatch watch, CancellationToken cancellationToken)
    {
        var rows = new ConcurrentBag<ArtifactRow>();
        await Parallel.ForEachAsync(changed, Options(cancellationToken), async (path, ct) =>
        {
            var copy = copies[path];
            var artifact = ArtifactPath.TryParse(path) ?? throw new RollbackException($"Version {target} names an unknown path {path}.");
            var cacheControl = config.Publish.CacheControl.For(artifact.Class);
            // Objects of versions before cache tags carry space-separated "xkey" metadata; Parse reads both.
            var tags = SurrogateKeys.Parse(copy.Metadata.TryGetValue(SurrogateKeys.MetadataKey, out var t) ? t : copy.Metadata.GetValueOrDefault("xkey"));
            var tagHeader = SurrogateKeys.Format(tags);
            await store.PutAsync(new ObjectToPut(artifact.Key, copy.Body, artifact.ContentType, cacheControl,
                new Dictionary<string, string> { [SurrogateKeys.MetadataKey] = tagHeader, ["sha256"] = entries[path].Sha }), ct).ConfigureAwait(false);
            var headersHash = ArtifactDiff.HeadersHash(artifact.ContentType, cacheControl, tagHeader);
            var keys = tags.Where(x => !x.StartsWith("path:", StringComparison.Ordinal)).ToArray();
            rows.Add(new ArtifactRow(path, entries[path].Sha, headersHash, copy.Body.Length, entries[path].Shard, keys));
        }).ConfigureAwait(false);

        await Parallel.ForEachAsync(removed, Options(cancellationToken), async (path, ct) => await store.DeleteAsync(path[1..], ct).ConfigureAwait(false)).ConfigureAwait(false);

        var rootBytes = ManifestSharding.Serialize(root);
        await store.PutAsync(new ObjectToPut(ObjectKeys.ManifestRoot, rootBytes, "application/json; charset=utf-8", config.Publish.CacheControl.Manifest,
            new Dictionary<string, string> { ["sha256"] = ContentHash.Sha256(rootBytes) }), cancellationToken).ConfigureAwait(false);

        var invalidations = changed.Concat(removed).ToList();
        if (invalidations.Contains(ArtifactPath.Home))
        {
            invalidations.Add("/");
        }

        invalidations.Sort(StringComparer.Ordinal);
        await RecordAsync(target, run, rootBytes, [.. rows], removed, entries.Count, changed.Count, invalidations, cancellationToken).ConfigureAwait(false);
        await pending.DeliverAsync(cancellationToken).ConfigureAwait(false);
        LogRolledBack(logger, target, run, changed.Count, removed.Count);
        return new RollbackResult(target, run, changed.Count, removed.Count, entries.Count - changed.Count, invalidations, watch.Elapsed);
    }

    private async Task<ManifestRoot> LoadRootAsync(long target, CancellationToken cancellationToken)
    {
        var run = await publishes.FindRunManifestAsync(target, cancellationToken).ConfigureAwait(false)
            ?? throw new RollbackException($"There is no version {target}. 'publisher versions' lists them.");
        if (run.State != "succeeded")
        {
            throw new RollbackException($"Version {target} {run.State}; only a succeeded version can be restored.");
        }

        if (run.Json is not { } json)
        {
            throw new RollbackException($"Version {target} changed nothing and has no manifest of its own; roll back to the version that was live then ('publisher versions' marks versions with a manifest).");
        }

        return ManifestSharding.DeserializeRoot(Encoding.UTF8.GetBytes(json));
    }

    private async Task<Dictionary<string, (string Sha, string Shard)>> ReadEntriesAsync(ManifestRoot root, long target, CancellationToken cancellationToken)
    {
        var entries = new ConcurrentDictionary<string, (string Sha, string Shard)>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(root.Shards, Options(cancellationToken), async (shard, ct) =>
        {
            var key = ObjectKeys.Shard(shard.Key, shard.Value);
            var stored = await store.GetAsync(key, ct).ConfigureAwait(false)
                ?? throw new RollbackException($"Version {target} can no longer be restored: its manifest shard {key} is gone from the store. Nothing was changed.");
            foreach (var (path, sha) in ManifestSharding.DeserializeShard(stored.Body).Entries)
            {
                entries[path] = (sha, shard.Key);
            }
        }).ConfigureAwait(false);
        return new Dictionary<string, (string Sha, string Shard)>(entries, StringComparer.Ordinal);
    }

    private async Task RecordAsync(long target, long run, byte[] rootBytes, ArtifactRow[] rows, List<string> removed, int total, int restored, List<string> invalidations, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await PublishesStore.RecordRollbackAsync(connection, transaction, run, new RollbackRun(
            target, total, restored, removed.Count, rows.Sum(r => (long)r.Size), Encoding.UTF8.GetString(rootBytes), ContentHash.Sha256(rootBytes)),
            cancellationToken).ConfigureAwait(false);

        // The edge holds the objects of the live rows: choose cache tags from them before they are replaced.
        var invalidation = await Edge.PendingInvalidations.PlanAsync(connection, transaction, invalidations, config.Cdn.CloudFront, cancellationToken).ConfigureAwait(false);

        // Restored rows replace the live ones; paths V did not have leave.
        await PublishStateStore.WriteArtifactsAsync(connection, transaction, run, rows, removed, cancellationToken).ConfigureAwait(false);

        // The entity versions no longer describe what is live: the next publish (after resume) renders everything.
        await using (var entities = new NpgsqlCommand("delete from published_entities", connection, transaction))
        {
            await entities.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var pin = new NpgsqlCommand("update publisher_state set pinned_version = @target, pinned_at = now() where id = 1", connection, transaction))
        {
            pin.Parameters.AddWithValue("target", target);
            await pin.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await Edge.PendingInvalidations.AddAsync(connection, transaction, run, invalidation, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private ParallelOptions Options(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = config.Publish.UploadParallelism, CancellationToken = cancellationToken };

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Rolled back to version {Version} (run {Run}): {Restored} paths restored, {Deleted} deleted; publishing is paused until 'publisher resume'")]
    private static partial void LogRolledBack(ILogger logger, long version, long run, int restored, int deleted);
}
