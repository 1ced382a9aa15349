namespace Static.Publisher.Stores;

/// <summary>
/// A plain folder: for runs without any server, benchmarks and inspection. Keys become relative paths
/// under the root; each write goes to a temporary file renamed into place, so a reader never sees half a
/// file. Headers are not stored (a static file server derives Content-Type from the extension); the
/// publisher keeps them in the live manifest, so a header change is still detected.
/// </summary>
public sealed class FolderObjectStore(string root) : IObjectStore
{
    private readonly string root = Path.GetFullPath(root);

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
        var temp = path + ".tmp-" + Environment.CurrentManagedThreadId;
        try
        {
            await File.WriteAllBytesAsync(temp, item.Body, cancellationToken).ConfigureAwait(false);
        }
        catch (DirectoryNotFoundException)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(temp, item.Body, cancellationToken).ConfigureAwait(false);
        }

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

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
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
