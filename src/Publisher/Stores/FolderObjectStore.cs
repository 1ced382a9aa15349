using System.Runtime.InteropServices;

namespace Static.Publisher.Stores;

/// <summary>
/// A plain folder: for runs without any server, benchmarks and inspection. Keys become relative paths
/// under the root. A stable path may be read at any moment, so it is made aside and renamed into place (a
/// reader never sees half a file); when the publisher names its immutable copy (<see cref="ObjectToPut.CopyOf"/>)
/// it is made as a hard link to that file, so its bytes are written once. A content-addressed object is created
/// in place, as a new file; one that already exists (left by a run that died, or being repaired) is replaced by a
/// rename, never rewritten, since a stable path may share its file. Headers are not stored (a static file server
/// derives Content-Type from the extension); the publisher keeps them in the live manifest, so a header change is
/// still detected. Writes are synchronous: on a local file system they are short, and async file I/O on Linux
/// only moves the same call to another thread.
/// </summary>
public sealed partial class FolderObjectStore(string root) : IObjectStore
{
    private readonly string root = Path.GetFullPath(root);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> knownDirectories = new(StringComparer.Ordinal);
    private bool linksWork;

    public string Description => $"folder {root}";

    /// <summary>True once <see cref="EnsureReadyAsync"/> has made a hard link in the folder (Linux and macOS file systems that allow them).</summary>
    public bool CopiesObjects => linksWork;

    public Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(root);
            var probe = Path.Combine(root, $".probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            var linked = probe + "-link";
            linksWork = TryLink(probe, linked);
            File.Delete(linked);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ObjectStoreUnavailableException($"{Description}: not writable ({e.Message}).", e);
        }

        return Task.CompletedTask;
    }

    public Task PutAsync(ObjectToPut item, CancellationToken cancellationToken)
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

        if (item.CopyOf is not null)
        {
            // The same bytes are already in the store under CopyOf (this run's immutable copy): link, then rename.
            var linked = TempName(path);
            if (!TryLink(PathOf(item.CopyOf), linked))
            {
                throw new IOException($"{Description}: cannot link {item.CopyOf} to {item.Key} (errno {Marshal.GetLastPInvokeError()}).");
            }

            File.Move(linked, path, overwrite: true);
            return Task.CompletedTask;
        }

        if (item.ContentAddressed)
        {
            // Named by its bytes: nothing reads it before a manifest names it, and the manifest is written after
            // it. Created as a new file (O_EXCL); a crash mid-write leaves a partial file that no manifest names.
            try
            {
                Write(path, FileMode.CreateNew, item.Body.Span);
                return Task.CompletedTask;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Already there: a partial file from a run that died, or a repair. Replace it by a rename, never in
                // place: a stable path may be a hard link to this very file.
            }
        }

        // A stable path may be read at any moment: write aside, then rename over it (atomic).
        var temp = TempName(path);
        Write(temp, FileMode.CreateNew, item.Body.Span);
        File.Move(temp, path, overwrite: true);
        return Task.CompletedTask;
    }

    private static string TempName(string path) => path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];

    private static void Write(string path, FileMode mode, ReadOnlySpan<byte> body)
    {
        using var handle = File.OpenHandle(path, mode, FileAccess.Write, FileShare.None);
        RandomAccess.Write(handle, body, 0);
    }

    private static bool TryLink(string existing, string created) =>
        (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && Link(existing, created) == 0;

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string created);

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
