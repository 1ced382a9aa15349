using System.Diagnostics;
using System.Text;
using Static.Publisher.Stores;

namespace Static.UnitTests;

/// <summary>
/// The folder store on the real file system (a temporary folder): stable paths made as hard links to their immutable
/// copy, and the rule that keeps those links safe — an existing content-addressed file is replaced, never rewritten.
/// </summary>
public sealed class FolderObjectStoreTests : IDisposable
{
    private static readonly Dictionary<string, string> NoMetadata = [];
    private readonly string root = Path.Combine(Path.GetTempPath(), "static-folder-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task A_stable_path_made_from_its_immutable_copy_is_the_same_file_with_the_same_bytes()
    {
        var store = await ReadyStoreAsync();
        Assert.True(store.CopiesObjects, "hard links should work in the temporary folder on Linux");
        await store.PutAsync(Immutable("_immutable/ab/abc.html", "<p>page</p>"), CancellationToken.None);

        await store.PutAsync(new ObjectToPut("products/1.html", ReadOnlyMemory<byte>.Empty, "text/html", "public", NoMetadata, CopyOf: "_immutable/ab/abc.html"), CancellationToken.None);

        Assert.Equal("<p>page</p>", await File.ReadAllTextAsync(Path.Combine(root, "products/1.html")));
        Assert.Equal(Inode("_immutable/ab/abc.html"), Inode("products/1.html"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(root, "products"), "*.tmp-*"));
    }

    [Fact]
    public async Task Writing_an_existing_immutable_copy_again_replaces_the_file_so_a_stable_path_linked_to_it_keeps_its_bytes()
    {
        var store = await ReadyStoreAsync();
        await store.PutAsync(Immutable("_immutable/ab/abc.json", "first"), CancellationToken.None);
        await store.PutAsync(new ObjectToPut("products/1.json", ReadOnlyMemory<byte>.Empty, "application/json", "public", NoMetadata, CopyOf: "_immutable/ab/abc.json"), CancellationToken.None);

        // A repair (or a run after one that died mid-write) writes the key again.
        await store.PutAsync(Immutable("_immutable/ab/abc.json", "second"), CancellationToken.None);

        Assert.Equal("second", await File.ReadAllTextAsync(Path.Combine(root, "_immutable/ab/abc.json")));
        Assert.Equal("first", await File.ReadAllTextAsync(Path.Combine(root, "products/1.json")));
        Assert.NotEqual(Inode("_immutable/ab/abc.json"), Inode("products/1.json"));
    }

    [Fact]
    public async Task A_copy_of_a_missing_object_fails_naming_both_keys_and_leaves_the_stable_path_as_it_was()
    {
        var store = await ReadyStoreAsync();
        await store.PutAsync(new ObjectToPut("products/1.json", Encoding.UTF8.GetBytes("live"), "application/json", "public", NoMetadata), CancellationToken.None);

        var e = await Assert.ThrowsAsync<IOException>(() => store.PutAsync(
            new ObjectToPut("products/1.json", ReadOnlyMemory<byte>.Empty, "application/json", "public", NoMetadata, CopyOf: "_immutable/no/such.json"), CancellationToken.None));

        Assert.Contains("_immutable/no/such.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("products/1.json", e.Message, StringComparison.Ordinal);
        Assert.Equal("live", await File.ReadAllTextAsync(Path.Combine(root, "products/1.json")));
    }

    private async Task<FolderObjectStore> ReadyStoreAsync()
    {
        var store = new FolderObjectStore(root);
        await store.EnsureReadyAsync(CancellationToken.None);
        return store;
    }

    private static ObjectToPut Immutable(string key, string text) =>
        new(key, Encoding.UTF8.GetBytes(text), "text/plain", "immutable", NoMetadata, ContentAddressed: true);

    /// <summary>The file's inode number (stat), to tell a hard link from a copy.</summary>
    private string Inode(string key)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%i", Path.Combine(root, key)]) { RedirectStandardOutput = true })!;
        var inode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        Assert.Equal(0, stat.ExitCode);
        return inode;
    }
}
