namespace Static.Publisher.Stores;

/// <summary>
/// One object to write: its key, bytes and the headers it is served with. <see cref="ContentAddressed"/>
/// objects are named by their bytes: nobody reads them before a manifest names them, and a second write
/// of the same key writes the same bytes. <see cref="CopyOf"/>, given only to a store whose
/// <see cref="IObjectStore.CopiesObjects"/> is true, names an object already in the store with exactly these bytes:
/// the store makes the new object from it (the folder store: a hard link) and <see cref="Body"/> is empty.
/// </summary>
public sealed record ObjectToPut(
    string Key,
    ReadOnlyMemory<byte> Body,
    string ContentType,
    string CacheControl,
    IReadOnlyDictionary<string, string> Metadata,
    bool ContentAddressed = false,
    string? CopyOf = null)
{
    /// <summary>The object's size: the body's, or for a copy the size of the object copied.</summary>
    public long Size { get; init; } = Body.Length;
}

/// <summary>An object read back, with its headers as stored.</summary>
public sealed record StoredObject(string Key, byte[] Body, string? ContentType, string? CacheControl, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// What a HEAD tells about an object without reading its body: its size and headers, and <see cref="Sha256"/>,
/// the SHA-256 the store vouches for — the <c>sha256</c> metadata the publisher writes on every object (S3), or the
/// hash of the file's bytes (a folder, where reading is as cheap as a HEAD). Null when the object carries none.
/// </summary>
public sealed record ObjectHead(string Key, long Size, string? ContentType, string? CacheControl, string? Sha256, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The metadata key under which the publisher stores each object's SHA-256 (<c>x-amz-meta-sha256</c> on S3).</summary>
    public const string Sha256MetadataKey = "sha256";
}

/// <summary>An object found by a listing: only garbage collection lists a store.</summary>
public sealed record ListedObject(string Key, long Size, DateTimeOffset LastModified);

/// <summary>A store that cannot be used: missing bucket, unreachable endpoint, unwritable folder.</summary>
public sealed class ObjectStoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Where artifacts go: S3 (any S3-compatible endpoint) or a folder. The publisher never lists a store; it
/// diffs against the live manifest and writes or deletes exactly the keys it decided on.
/// </summary>
public interface IObjectStore
{
    /// <summary>For messages: "s3://bucket at http://127.0.0.1:56000" or "folder /path".</summary>
    string Description { get; }

    /// <summary>Checks the store can be written (bucket exists, folder writable); throws <see cref="ObjectStoreUnavailableException"/>.</summary>
    Task EnsureReadyAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Whether <see cref="PutAsync"/> takes an <see cref="ObjectToPut.CopyOf"/> instead of the bytes. The publisher then
    /// drops a page's bytes once its immutable copy is stored, and makes the stable path from that copy.
    /// </summary>
    bool CopiesObjects => false;

    /// <summary>Writes the object atomically: a reader sees the old object or the whole new one.</summary>
    Task PutAsync(ObjectToPut item, CancellationToken cancellationToken);

    /// <summary>The object, or null when there is none.</summary>
    Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// The object's size and headers, or null when there is none (<c>publisher verify</c>). The default reads the
    /// whole object; stores that can answer from headers alone override it.
    /// </summary>
    async Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        var stored = await GetAsync(key, cancellationToken).ConfigureAwait(false);
        return stored is null
            ? null
            : new ObjectHead(key, stored.Body.Length, stored.ContentType, stored.CacheControl,
                stored.Metadata.TryGetValue(ObjectHead.Sha256MetadataKey, out var sha) ? sha : null, stored.Metadata);
    }

    /// <summary>Deletes the object; deleting a missing one is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every object under <paramref name="prefix"/> (garbage collection only; publishing never lists).</summary>
    IAsyncEnumerable<ListedObject> ListAsync(string prefix, CancellationToken cancellationToken);
}
