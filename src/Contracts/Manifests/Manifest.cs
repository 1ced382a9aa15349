using System.Security.Cryptography;
using System.Text.Json.Serialization;

// The namespace is the one these types had in src/Shared: moving them to a dependency-free project changed
// no caller.
namespace Static.Shared.Manifests;

/// <summary>
/// The manifest root, served at <c>/manifest.json</c> with a short TTL: the version and the hash of every
/// shard. A client keeps the last root it saw, fetches only the shards whose hash changed, and from them
/// only the artifacts whose hash changed. Versions only move forward: a rollback publishes a new version
/// whose content is the old one's, naming it in <see cref="Restores"/> (absent otherwise, so an ordinary
/// root's bytes do not change). The contract is docs/manifest.md.
/// </summary>
public sealed record ManifestRoot(
    int Format,
    long Version,
    string ShardUrl,
    string ImmutableUrl,
    SortedDictionary<string, string> Shards,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Restores = null);

/// <summary>One shard: stable path -> SHA-256 (hex) of the artifact's bytes. Content-addressed and immutable.</summary>
public sealed record ManifestShard(int Format, string Shard, SortedDictionary<string, string> Entries);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(ManifestRoot))]
[JsonSerializable(typeof(ManifestShard))]
public sealed partial class ManifestJsonContext : JsonSerializerContext;

/// <summary>Object keys and URLs: where each kind of object lives in the store (and so on the CDN).</summary>
public static class ObjectKeys
{
    public const int FormatVersion = 1;
    public const string ManifestRoot = "manifest.json";
    public const string ImmutablePrefix = "_immutable/";
    public const string ShardPrefix = "_manifest/";
    public const string ShardUrlTemplate = "/_manifest/{shard}.{hash}.json";
    public const string ImmutableUrlTemplate = "/_immutable/{sha256}{ext}";

    /// <summary>Length of the shard hash used in shard names and in the root (64 bits).</summary>
    public const int ShardHashLength = 16;

    public static string Immutable(string sha256, string extension) => $"{ImmutablePrefix}{sha256}{extension}";

    public static string Shard(string shard, string shardHash) => $"{ShardPrefix}{shard}.{shardHash}.json";
}

/// <summary>The one hash of the contract: lower-case hex SHA-256, the name of an immutable object and its manifest entry.</summary>
public static class ContentHash
{
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
