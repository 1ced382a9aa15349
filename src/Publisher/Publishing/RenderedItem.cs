using Static.Shared.Artifacts;

namespace Static.Publisher.Publishing;

/// <summary>One rendered artifact on its way to the store: its bytes (kept only while they may be uploaded), hashes, headers and shard.</summary>
internal sealed class RenderedItem(ArtifactPath artifact, byte[] body, string sha256, string headersHash, string cacheControl, string shard, string[] dependencyKeys, string surrogateKeys)
{
    public ArtifactPath Artifact { get; } = artifact;

    public string Path => Artifact.Path;

    public byte[]? Body { get; set; } = body;

    public int Size { get; } = body.Length;

    public string Sha256 { get; } = sha256;

    public string HeadersHash { get; } = headersHash;

    public string CacheControl { get; } = cacheControl;

    public string Shard { get; } = shard;

    public string[] DependencyKeys { get; } = dependencyKeys;

    public string SurrogateKeys { get; } = surrogateKeys;

    /// <summary>The product images the artifact references (their variants must be in the store before it is).</summary>
    public IReadOnlyList<Shared.Catalog.ProductImage> Images { get; init; } = [];
}
