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
    /// <remarks>
    /// <paramref name="stored"/>: the keys of the immutable copies this run already wrote (<see cref="ImmutableWriter"/>);
    /// on a store that <see cref="IObjectStore.CopiesObjects"/>, their stable paths are made from those copies.
    /// </remarks>
    public async Task<long> UploadAsync(
        LiveState live, IReadOnlyList<RenderedItem> changed, IReadOnlyList<string> removed, ManifestPlan manifest,
        IReadOnlySet<string> stored, ConcurrentBag<string> written, IProgress<PublishProgress>? progress, CancellationToken cancellationToken)
    {
        var cc = config.Publish.CacheControl;
        var liveHashes = live.Artifacts.Values.Select(a => a.Sha256).ToHashSet(StringComparer.Ordinal);

        // 1. Immutable, content-addressed copies (skipping bytes some live path already has, and those written early).
        var immutables = changed.Where(c => !liveHashes.Contains(c.Sha256) && !stored.Contains(ObjectKeys.Immutable(c.Sha256, c.Artifact.Extension))).DistinctBy(c => c.Sha256).ToList();
        // Each object is described only when its turn comes: 200,000 descriptions at once would cost some 100 MB.
        ObjectToPut Immutable(RenderedItem c) => ImmutableCopy(c, cc.Immutable);
        // 2. Stable paths, overwritten in place: from this run's immutable copy where the store can, else the bytes.
        ObjectToPut Stable(RenderedItem c) => store.CopiesObjects && stored.Contains(ObjectKeys.Immutable(c.Sha256, c.Artifact.Extension))
            ? new(c.Artifact.Key, ReadOnlyMemory<byte>.Empty, c.Artifact.ContentType, c.CacheControl, Meta(c), CopyOf: ObjectKeys.Immutable(c.Sha256, c.Artifact.Extension)) { Size = c.Size }
            : new(c.Artifact.Key, c.Body ?? throw new InvalidOperationException($"{c.Path}: its bytes were dropped before its stable path was written."),
                c.Artifact.ContentType, c.CacheControl, Meta(c));
        // 4. Shards (immutable by name), 5. the root last.
        // (Shards carry their SHA-256 like every other object, so 'publisher verify' can check them with a HEAD.)
        var shards = manifest.Shards.Select(s => new ObjectToPut(s.Key, s.Bytes, ManifestContentType, cc.Immutable,
            new Dictionary<string, string> { ["sha256"] = ContentHash.Sha256(s.Bytes) }, ContentAddressed: true)).ToList();
        var root = new ObjectToPut(ObjectKeys.ManifestRoot, manifest.RootBytes, ManifestContentType, cc.Manifest,
            new Dictionary<string, string> { ["sha256"] = manifest.RootSha256 });

        var total = immutables.Count + changed.Count + removed.Count + shards.Count + 1;
        var done = 0;
        long bytes = 0;
        await PutAllAsync("uploading immutable copies", immutables, Immutable).ConfigureAwait(false);
        await PutAllAsync("uploading stable paths", changed, Stable).ConfigureAwait(false);

        // 3. Deletes of removed paths.
        await Parallel.ForEachAsync(removed, Options(), async (path, ct) =>
        {
            await store.DeleteAsync(path[1..], ct).ConfigureAwait(false);
            Report("deleting removed paths");
        }).ConfigureAwait(false);
        await PutAllAsync("uploading manifest shards", shards, s => s).ConfigureAwait(false);
        await PutAllAsync("swapping the manifest root", [root], r => r).ConfigureAwait(false);
        return bytes;

        async Task PutAllAsync<T>(string stage, IReadOnlyList<T> batch, Func<T, ObjectToPut> describe)
        {
            await Parallel.ForEachAsync(batch, Options(), async (each, ct) =>
            {
                var item = describe(each);
                await store.PutAsync(item, ct).ConfigureAwait(false);
                written.Add(item.Key);
                Interlocked.Add(ref bytes, item.Size);
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

    }

    /// <summary>An artifact's immutable, content-addressed copy (here and in <see cref="ImmutableWriter"/>, which writes most of them early).</summary>
    public static ObjectToPut ImmutableCopy(RenderedItem c, string immutableCacheControl) =>
        new(ObjectKeys.Immutable(c.Sha256, c.Artifact.Extension), c.Body!, c.Artifact.ContentType, immutableCacheControl, Meta(c), ContentAddressed: true);

    /// <summary>The metadata every artifact object carries: its cache tags and its SHA-256.</summary>
    private static Dictionary<string, string> Meta(RenderedItem c) => new() { [SurrogateKeys.MetadataKey] = c.SurrogateKeys, ["sha256"] = c.Sha256 };

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
