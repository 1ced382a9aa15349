using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Static.Client;

/// <summary>What the client keeps across a restart (besides the bodies and shards themselves).</summary>
/// <param name="Format">This file's own format.</param>
/// <param name="RootETag">The held root's ETag, for the next conditional request.</param>
/// <param name="Root">The held root's JSON.</param>
/// <param name="ManifestDisabled">The last root had a format this client does not know.</param>
/// <param name="Shards">Held shards: name → hash.</param>
/// <param name="Held">Paths read: stable path → SHA-256 of the verified body held.</param>
internal sealed record PersistedState(
    int Format, string? RootETag, string? Root, bool ManifestDisabled,
    Dictionary<string, string> Shards, Dictionary<string, string> Held);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PersistedState))]
internal sealed partial class StateJsonContext : JsonSerializerContext;

/// <summary>
/// Verified bodies by SHA-256, and shards by name and hash: in a directory when one is configured (so a
/// restart starts warm), else in memory. Every file is written to a temporary name and renamed, so a crash
/// leaves the old file or the new one, never half of one; every read is verified again, so a damaged file is
/// dropped rather than served.
/// </summary>
internal sealed class VerifiedStore
{
    public const int StateFormat = 1;
    private readonly string? directory;
    private readonly ConcurrentDictionary<string, byte[]> memory = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> memoryShards = new(StringComparer.Ordinal);

    public VerifiedStore(string? directory)
    {
        if (directory is not null)
        {
            this.directory = Path.GetFullPath(directory);
            Directory.CreateDirectory(Path.Combine(this.directory, "bodies"));
            Directory.CreateDirectory(Path.Combine(this.directory, "shards"));
        }
    }

    public bool OnDisk => directory is not null;

    /// <summary>Lower-case hex SHA-256: the only names a body file can have (nothing else reaches the file system).</summary>
    public static bool IsSha256(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigitLower);

    private static bool IsShardName(string name) =>
        name.Length is > 0 and <= 100 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') && !name.StartsWith('-');

    public bool TryRead(string sha256, out byte[] body)
    {
        body = [];
        if (!IsSha256(sha256))
        {
            return false;
        }

        if (directory is null)
        {
            return memory.TryGetValue(sha256, out body!);
        }

        var file = BodyFile(sha256);
        try
        {
            var bytes = File.ReadAllBytes(file);
            if (ManifestLogic.Verify(bytes, sha256))
            {
                body = bytes;
                return true;
            }

            File.Delete(file);   // damaged on disk: never served
            return false;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    public async Task WriteAsync(string sha256, byte[] body, CancellationToken cancellationToken)
    {
        if (!IsSha256(sha256))
        {
            return;
        }

        if (directory is null)
        {
            memory[sha256] = body;
            return;
        }

        var file = BodyFile(sha256);
        if (!File.Exists(file))
        {
            await WriteAtomicallyAsync(file, body, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Delete(string sha256)
    {
        if (!IsSha256(sha256))
        {
            return;
        }

        if (directory is null)
        {
            memory.TryRemove(sha256, out _);
        }
        else
        {
            File.Delete(BodyFile(sha256));
        }
    }

    public byte[]? ReadShard(string name, string hash)
    {
        if (!IsShardName(name) || !IsShardName(hash))
        {
            return null;
        }

        if (directory is null)
        {
            return memoryShards.TryGetValue(name + "." + hash, out var held) ? held : null;
        }

        try
        {
            var bytes = File.ReadAllBytes(ShardFile(name, hash));
            return ManifestLogic.VerifyShard(bytes, hash) ? bytes : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public async Task WriteShardAsync(string name, string hash, byte[] bytes, CancellationToken cancellationToken)
    {
        if (!IsShardName(name) || !IsShardName(hash))
        {
            return;
        }

        if (directory is null)
        {
            memoryShards[name + "." + hash] = bytes;
            return;
        }

        await WriteAtomicallyAsync(ShardFile(name, hash), bytes, cancellationToken).ConfigureAwait(false);
    }

    public void DeleteShard(string name, string hash)
    {
        if (!IsShardName(name) || !IsShardName(hash))
        {
            return;
        }

        if (directory is null)
        {
            memoryShards.TryRemove(name + "." + hash, out _);
        }
        else
        {
            File.Delete(ShardFile(name, hash));
        }
    }

    public PersistedState? LoadState()
    {
        if (directory is null)
        {
            return null;
        }

        try
        {
            var state = JsonSerializer.Deserialize(File.ReadAllBytes(StateFile), StateJsonContext.Default.PersistedState);
            return state is { Format: StateFormat, Shards: not null, Held: not null } ? state : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;   // no state, or a foreign one: start cold
        }
    }

    public async Task SaveStateAsync(PersistedState state, CancellationToken cancellationToken)
    {
        if (directory is not null)
        {
            await WriteAtomicallyAsync(StateFile, JsonSerializer.SerializeToUtf8Bytes(state, StateJsonContext.Default.PersistedState), cancellationToken).ConfigureAwait(false);
        }
    }

    private string StateFile => Path.Combine(directory!, "state.json");

    private string BodyFile(string sha256) => Path.Combine(directory!, "bodies", sha256);

    private string ShardFile(string name, string hash) => Path.Combine(directory!, "shards", name + "." + hash + ".json");

    private static async Task WriteAtomicallyAsync(string file, byte[] bytes, CancellationToken cancellationToken)
    {
        var temp = file + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, file, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
