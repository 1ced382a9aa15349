using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Static.Publisher.Stores;
using Static.Shared.Configuration;
using Static.Shared.Manifests;

namespace Static.Publisher.Publishing;

/// <summary>
/// Writes each changed artifact's immutable, content-addressed copy while the run is still rendering, so a full
/// publish never holds every page's bytes at once: rendered items go through a bounded channel to
/// <c>publish.uploadParallelism</c> writers. An immutable copy is invisible until a manifest names it, so writing it
/// early keeps the order that matters (stable paths, then shards, then the root, all after every copy is stored).
/// When the store can make an object from one it holds (<see cref="IObjectStore.CopiesObjects"/>), the bytes are
/// dropped once their copy is stored and the stable path is later made from it (<see cref="UploadSequence"/>).
/// Unchanged items drop their bytes at once.
/// </summary>
internal sealed class ImmutableWriter : IAsyncDisposable
{
    private readonly IObjectStore store;
    private readonly LiveState live;
    private readonly string immutableCacheControl;
    private readonly HashSet<string> liveHashes;
    private readonly ConcurrentDictionary<string, byte> stored = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<string> written;
    private readonly Channel<RenderedItem> queue;
    private readonly CancellationTokenSource failed;
    private readonly Task[] writers;
    private ExceptionDispatchInfo? failure;
    private long bytes;

    public ImmutableWriter(IObjectStore store, PublishConfig config, LiveState live, ConcurrentBag<string> written, CancellationToken cancellationToken)
    {
        this.store = store;
        this.live = live;
        this.written = written;
        immutableCacheControl = config.Publish.CacheControl.Immutable;
        liveHashes = live.Artifacts.Values.Select(a => a.Sha256).ToHashSet(StringComparer.Ordinal);
        var parallelism = Math.Max(1, config.Publish.UploadParallelism);
        queue = Channel.CreateBounded<RenderedItem>(new BoundedChannelOptions(parallelism * 8) { SingleWriter = false, SingleReader = false });
        failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        writers = [.. Enumerable.Range(0, parallelism).Select(_ => Task.Run(WriteAllAsync, CancellationToken.None))];
    }

    /// <summary>The keys of the immutable copies this run has stored (complete after <see cref="CompleteAsync"/>).</summary>
    public IReadOnlySet<string> Stored => stored.Keys.ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Takes one rendered item (the render step's callback): an unchanged one drops its bytes; a changed one whose
    /// bytes no live path holds and no earlier item of this run claimed is queued for its immutable copy. Waits
    /// while the queue is full, which is what bounds the bytes in memory.
    /// </summary>
    public async ValueTask AcceptAsync(RenderedItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (live.Artifacts.TryGetValue(item.Path, out var was) && was.Sha256 == item.Sha256 && was.HeadersHash == item.HeadersHash)
        {
            item.Body = null;
            return;
        }

        if (liveHashes.Contains(item.Sha256) || !stored.TryAdd(ObjectKeys.Immutable(item.Sha256, item.Artifact.Extension), 0))
        {
            // A live path already has these bytes (their copy is in the store), or another path of this run has
            // them: the item keeps its bytes for its stable path. Rare (identical pages).
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, failed.Token);
        await queue.Writer.WriteAsync(item, linked.Token).ConfigureAwait(false);
    }

    /// <summary>Waits for every queued copy; returns the bytes written. Rethrows the first write that failed.</summary>
    public async Task<long> CompleteAsync()
    {
        queue.Writer.TryComplete();
        await Task.WhenAll(writers).ConfigureAwait(false);
        failure?.Throw();
        failed.Token.ThrowIfCancellationRequested();
        return Interlocked.Read(ref bytes);
    }

    /// <summary>The render step stopped because a write failed: that failure, not the cancellation it caused.</summary>
    public void ThrowIfFailed() => failure?.Throw();

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await failed.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(writers).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped by the cancellation above.
        }

        failed.Dispose();
    }

    private async Task WriteAllAsync()
    {
        try
        {
            await foreach (var item in queue.Reader.ReadAllAsync(failed.Token).ConfigureAwait(false))
            {
                var copy = UploadSequence.ImmutableCopy(item, immutableCacheControl);
                await store.PutAsync(copy, failed.Token).ConfigureAwait(false);
                written.Add(copy.Key);
                Interlocked.Add(ref bytes, item.Size);
                if (store.CopiesObjects)
                {
                    item.Body = null;
                }
            }
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested)
        {
            // The run was cancelled, or another writer failed.
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
            await failed.CancelAsync().ConfigureAwait(false);
        }
    }
}
