using Static.Publisher.Stores;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>Wraps the real store and breaks on cue: every PUT after the first <paramref name="failAfter"/> fails.</summary>
public sealed class FailingObjectStore(IObjectStore inner, int failAfter) : IObjectStore
{
    private int puts;

    public string Description => "failing " + inner.Description;

    public int Puts => Volatile.Read(ref puts);

    public Task EnsureReadyAsync(CancellationToken cancellationToken) => inner.EnsureReadyAsync(cancellationToken);

    public Task PutAsync(ObjectToPut item, CancellationToken cancellationToken) =>
        Interlocked.Increment(ref puts) > failAfter
            ? throw new ObjectStoreUnavailableException($"injected failure after {failAfter} uploads (PUT {item.Key})")
            : inner.PutAsync(item, cancellationToken);

    public Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken) => inner.GetAsync(key, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    public IAsyncEnumerable<ListedObject> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);
}
