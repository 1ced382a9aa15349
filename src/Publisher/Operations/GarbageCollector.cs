using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Configuration;
using Static.Shared.Manifests;
using Static.Shared.Publishes;

namespace Static.Publisher.Operations;

/// <summary>More deletes than the cap: nothing was deleted.</summary>
public sealed class GcCapExceededException(int candidates, int cap)
    : Exception($"gc would delete {candidates} objects, more than the cap of {cap} per run (retention.maxDeletesPerRun). Nothing was deleted. Check 'publisher gc --dry-run', then rerun with --force.")
{
    public int Candidates { get; } = candidates;
}

public sealed record GcResult(
    IReadOnlyList<long> KeptVersions,
    int Referenced,
    int Listed,
    int TooYoung,
    IReadOnlyList<string> Deleted,
    bool DryRun);

/// <summary>
/// <c>publisher gc</c>: deletes content-addressed objects (immutable copies and manifest shards) that no kept
/// version references. Kept: the newest <c>retention.keepVersions</c> versions with a manifest, the live
/// one, the pinned one, and every version that left the live manifest less than <c>retention.minAge</c> ago
/// (what a client that slept a while may still ask for). Image variants (<c>_immutable/img/</c>) are never
/// collected: pages reference them by source, not through the manifest. Objects younger than <c>retention.gcGracePeriod</c> are never deleted, stable
/// paths are never touched, and more than <c>retention.maxDeletesPerRun</c> deletes need <c>--force</c>.
/// Holds the publisher lock, so it never runs beside a publish or a rollback.
/// </summary>
public sealed partial class GarbageCollector(
    PublishConfig config,
    PublishesStore publishes,
    PublishStateStore state,
    IObjectStore store,
    TimeProvider time,
    ILogger<GarbageCollector> logger)
{
    public async Task<GcResult> CollectAsync(bool force, bool dryRun, CancellationToken cancellationToken)
    {
        await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        await using var held = await state.AcquireLockAsync(cancellationToken).ConfigureAwait(false);

        var kept = await KeptRootsAsync(cancellationToken).ConfigureAwait(false);
        var referenced = await ReferencedKeysAsync(kept.Values, cancellationToken).ConfigureAwait(false);

        var cutoff = time.GetUtcNow() - config.Retention.GcGracePeriod;
        var candidates = new List<string>();
        var listed = 0;
        var young = 0;
        foreach (var prefix in new[] { ObjectKeys.ImmutablePrefix, ObjectKeys.ShardPrefix })
        {
            await foreach (var o in store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
            {
                // Image variants are named by their source, not by bytes a manifest lists: no manifest references
                // them, so they are never collected here (docs/images.md: unreferenced variants stay, for now).
                if (o.Key.StartsWith(Shared.Images.ImagePipeline.KeyPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                listed++;
                if (referenced.Contains(o.Key))
                {
                    continue;
                }

                if (o.LastModified > cutoff)
                {
                    young++;
                    continue;
                }

                candidates.Add(o.Key);
            }
        }

        candidates.Sort(StringComparer.Ordinal);
        if (dryRun)
        {
            return new GcResult([.. kept.Keys], referenced.Count, listed, young, candidates, true);
        }

        if (candidates.Count > config.Retention.MaxDeletesPerRun && !force)
        {
            throw new GcCapExceededException(candidates.Count, config.Retention.MaxDeletesPerRun);
        }

        await Parallel.ForEachAsync(candidates, new ParallelOptions { MaxDegreeOfParallelism = config.Publish.UploadParallelism, CancellationToken = cancellationToken },
            async (key, ct) => await store.DeleteAsync(key, ct).ConfigureAwait(false)).ConfigureAwait(false);
        LogCollected(logger, candidates.Count, kept.Count, young);
        return new GcResult([.. kept.Keys], referenced.Count, listed, young, candidates, false);
    }

    private async Task<SortedDictionary<long, ManifestRoot>> KeptRootsAsync(CancellationToken cancellationToken)
    {
        var kept = await publishes.KeptManifestsAsync(config.Retention.KeepVersions, config.Retention.MinAge, cancellationToken).ConfigureAwait(false);
        var roots = new SortedDictionary<long, ManifestRoot>();
        foreach (var (version, json) in kept)
        {
            roots[version] = ManifestSharding.DeserializeRoot(Encoding.UTF8.GetBytes(json));
        }

        return roots;
    }

    /// <summary>Every shard key of the kept roots and every immutable key their shards name.</summary>
    private async Task<HashSet<string>> ReferencedKeysAsync(IEnumerable<ManifestRoot> roots, CancellationToken cancellationToken)
    {
        var shardKeys = roots.SelectMany(r => r.Shards.Select(s => ObjectKeys.Shard(s.Key, s.Value))).ToHashSet(StringComparer.Ordinal);
        var referenced = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        foreach (var key in shardKeys)
        {
            referenced[key] = 0;
        }

        await Parallel.ForEachAsync(shardKeys, new ParallelOptions { MaxDegreeOfParallelism = config.Publish.UploadParallelism, CancellationToken = cancellationToken }, async (key, ct) =>
        {
            var shard = await store.GetAsync(key, ct).ConfigureAwait(false);
            if (shard is null)
            {
                // A kept version's shard is missing: that version can no longer be rolled back to, but gc
                // must not guess; it keeps going with what it can read.
                LogMissingShard(logger, key);
                return;
            }

            foreach (var (path, sha) in ManifestSharding.DeserializeShard(shard.Body).Entries)
            {
                referenced[ObjectKeys.Immutable(sha, Path.GetExtension(path))] = 0;
            }
        }).ConfigureAwait(false);
        return referenced.Keys.ToHashSet(StringComparer.Ordinal);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "gc deleted {Deleted} unreferenced objects; kept {Versions} versions; {Young} objects younger than the grace period left alone")]
    private static partial void LogCollected(ILogger logger, int deleted, int versions, int young);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "gc: manifest shard {Key} of a kept version is missing from the store")]
    private static partial void LogMissingShard(ILogger logger, string key);
}
