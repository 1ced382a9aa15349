using System.Collections.Concurrent;
using Static.Publisher.Stores;
using Static.Shared.Artifacts;
using Static.Shared.Configuration;
using Static.Shared.Manifests;

namespace Static.Publisher.Publishing;

/// <summary>
/// Writes a run to the store in the order that keeps the live manifest pointing at a complete set:
/// 1. immutable, content-addressed copies; 2. stable paths, overwritten in place; 3. deletes of removed
/// paths; 4. manifest shards (immutable by name); 5. the root, last. Each stage finishes before the next
/// starts; within a stage writes run in parallel (<c>publish.uploadParallelism</c>).
/// </summary>
internal sealed class UploadSequence(IObjectStore store, PublishConfig config)
{
    private const string ManifestContentType = "application/json; charset=utf-8";

    /// <summary>Uploads a changed run; returns the bytes written. Every key written is added to <paramref name="written"/>.</summary>
    public async Task<long> UploadAsync(
        LiveState live, IReadOnlyList<RenderedItem> changed, IReadOnlyList<string> removed, ManifestPlan manifest,
        ConcurrentBag<string> written, IProgress<PublishProgress>? progress, CancellationToken cancellationToken)
    {
        var cc = config.Publish.CacheControl;
        var liveHashes = live.Artifacts.Values.Select(a => a.Sha256).ToHashSet(StringComparer.Ordinal);

        // 1. Immutable, content-addressed copies (skipping bytes some live path already has).
        var immutables = changed.Where(c => !liveHashes.Contains(c.Sha256)).DistinctBy(c => c.Sha256)
            .Select(c => new ObjectToPut(ObjectKeys.Immutable(c.Sha256, c.Artifact.Extension), c.Body!, c.Artifact.ContentType, cc.Immutable, Meta(c), ContentAddressed: true))
            .ToList();
        // 2. Stable paths, overwritten in place.
        var stables = changed.Select(c => new ObjectToPut(c.Artifact.Key, c.Body!, c.Artifact.ContentType, c.CacheControl, Meta(c))).ToList();
        // 4. Shards (immutable by name), 5. the root last.
        // (Shards carry their SHA-256 like every other object, so 'publisher verify' can check them with a HEAD.)
        var shards = manifest.Shards.Select(s => new ObjectToPut(s.Key, s.Bytes, ManifestContentType, cc.Immutable,
            new Dictionary<string, string> { ["sha256"] = ContentHash.Sha256(s.Bytes) }, ContentAddressed: true)).ToList();
        var root = new ObjectToPut(ObjectKeys.ManifestRoot, manifest.RootBytes, ManifestContentType, cc.Manifest,
            new Dictionary<string, string> { ["sha256"] = manifest.RootSha256 });

        var total = immutables.Count + stables.Count + removed.Count + shards.Count + 1;
        var done = 0;
        long bytes = 0;
        foreach (var (stage, batch) in new[] { ("uploading immutable copies", immutables), ("uploading stable paths", stables) })
        {
            await PutAllAsync(stage, batch).ConfigureAwait(false);
        }

        // 3. Deletes of removed paths.
        await Parallel.ForEachAsync(removed, Options(), async (path, ct) =>
        {
            await store.DeleteAsync(path[1..], ct).ConfigureAwait(false);
            Report("deleting removed paths");
        }).ConfigureAwait(false);
        await PutAllAsync("uploading manifest shards", shards).ConfigureAwait(false);
        await PutAllAsync("swapping the manifest root", [root]).ConfigureAwait(false);
        return bytes;

        async Task PutAllAsync(string stage, List<ObjectToPut> batch)
        {
            await Parallel.ForEachAsync(batch, Options(), async (item, ct) =>
            {
                await store.PutAsync(item, ct).ConfigureAwait(false);
                written.Add(item.Key);
                Interlocked.Add(ref bytes, item.Body.Length);
                Report(stage);
            }).ConfigureAwait(false);
        }

        void Report(string stage)
        {
            var n = Interlocked.Increment(ref done);
            if ((n & 255) == 0 || n == total)
            {
                progress?.Report(new PublishProgress(stage, n, total));
            }
        }

        ParallelOptions Options() => new() { MaxDegreeOfParallelism = config.Publish.UploadParallelism, CancellationToken = cancellationToken };

        static Dictionary<string, string> Meta(RenderedItem c) => new() { [SurrogateKeys.MetadataKey] = c.SurrogateKeys, ["sha256"] = c.Sha256 };
    }

    /// <summary>
    /// Nothing changed: make sure the store's root is the live one (a run that died after uploading a root but
    /// before recording it leaves a newer root in the store; the recorded one is what the rows describe).
    /// Returns whether it had to write the root.
    /// </summary>
    public async Task<bool> RepairRootAsync(LiveState live, ConcurrentBag<string> written, CancellationToken cancellationToken)
    {
        if (live.Root is null)
        {
            return false;
        }

        var stored = await store.GetAsync(ObjectKeys.ManifestRoot, cancellationToken).ConfigureAwait(false);
        var liveBytes = ManifestSharding.Serialize(live.Root);
        if (stored is not null && stored.Body.AsSpan().SequenceEqual(liveBytes))
        {
            return false;
        }

        await store.PutAsync(new ObjectToPut(ObjectKeys.ManifestRoot, liveBytes, ManifestContentType, config.Publish.CacheControl.Manifest,
            new Dictionary<string, string> { ["sha256"] = ContentHash.Sha256(liveBytes) }), cancellationToken).ConfigureAwait(false);
        written.Add(ObjectKeys.ManifestRoot);
        return true;
    }
}
