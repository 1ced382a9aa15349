using Static.Shared.Artifacts;

namespace Static.Publisher.Publishing;

/// <summary>
/// One rendered artifact on its way to the store: its bytes (kept only while they may be uploaded), hashes, headers
/// and shard. A full publish holds one per artifact (200,000 at 100,000 products), so it holds only what the diff,
/// the manifest and the record need; the surrogate-key header is derived again when an object is written.
/// </summary>
internal sealed class RenderedItem(ArtifactPath artifact, byte[] body, string sha256, string headersHash, string cacheControl, string shard, string[] dependencyKeys)
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

    /// <summary>The cache tags the object is stored with (<c>x-amz-meta-cache-tag</c>), derived from the path and dependency keys.</summary>
    public string SurrogateKeys => Shared.Artifacts.SurrogateKeys.Format(Shared.Artifacts.SurrogateKeys.For(Artifact, DependencyKeys));

    /// <summary>The product images the artifact references (their variants must be in the store before it is).</summary>
    public IReadOnlyList<Shared.Catalog.ProductImage> Images { get; init; } = [];
}
