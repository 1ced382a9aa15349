namespace Static.Publisher.Stores;

/// <summary>
/// A plain folder: for runs without any server, benchmarks and inspection. Keys become relative paths
/// under the root; a stable path is written to a temporary file renamed into place, so a reader never
/// sees half a file; a content-addressed object is written in place. Headers are not stored (a static file server derives Content-Type from the extension); the
/// publisher keeps them in the live manifest, so a header change is still detected.
/// </summary>
public sealed class FolderObjectStore(string root) : IObjectStore
{
    private readonly string root = Path.GetFullPath(root);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> knownDirectories = new(StringComparer.Ordinal);

    public string Description => $"folder {root}";

    public Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(root);
            var probe = Path.Combine(root, $".probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ObjectStoreUnavailableException($"{Description}: not writable ({e.Message}).", e);
        }

        return Task.CompletedTask;
    }

    public async Task PutAsync(ObjectToPut item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var path = PathOf(item.Key);
        // Create each folder once, before writing: with parallel writers, reacting to "directory not found"
        // races (.NET reports ENOENT as FileNotFound once another writer has created the folder).
        var directory = Path.GetDirectoryName(path)!;
        if (!knownDirectories.ContainsKey(directory))
        {
            Directory.CreateDirectory(directory);
            knownDirectories.TryAdd(directory, 0);
        }

        if (item.ContentAddressed)
        {
            // Named by its bytes: nothing reads it before a manifest names it, and the manifest is written
            // after it. A crash mid-write leaves a partial file that no manifest names; the next run that
            // needs those bytes writes the whole file again (over it).
            await File.WriteAllBytesAsync(path, item.Body, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A stable path may be read at any moment: write aside, then rename over it (atomic).
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        await File.WriteAllBytesAsync(temp, item.Body, cancellationToken).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
    }

    public async Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return null;
        }

        var body = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return new StoredObject(key, body, null, null, new Dictionary<string, string>());
    }

    /// <summary>The file's size and the SHA-256 of its bytes: a folder stores no metadata, and a local read is cheap.</summary>
    public async Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return null;
        }

        var body = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return new ObjectHead(key, body.Length, null, null, Static.Shared.Manifests.ContentHash.Sha256(body), new Dictionary<string, string>());
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

#pragma warning disable CS1998 // an async iterator over a synchronous directory walk
    public async IAsyncEnumerable<ListedObject> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
#pragma warning restore CS1998
    {
        var start = Path.Combine(root, Path.GetDirectoryName(prefix) ?? "");
        if (!Directory.Exists(start))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(start, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal) && !key.Contains(".tmp-", StringComparison.Ordinal))
            {
                var info = new FileInfo(file);
                yield return new ListedObject(key, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero));
            }
        }
    }

    private string PathOf(string key)
    {
        // Keys come from the artifact catalogue, but a store is a boundary: never write outside the root.
        var path = Path.GetFullPath(Path.Combine(root, key));
        if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Key '{key}' points outside the store root.", nameof(key));
        }

        return path;
    }
}
