using System.Security.Cryptography;
using Static.Shared.Artifacts;
using Static.Shared.Configuration;
using Static.Templates;

namespace Static.Api.Artifacts;

/// <summary>Where a cache miss goes: PostgreSQL through the shared renderer. Tests wrap it to count and delay reads.</summary>
public interface IArtifactSource
{
    Task<CachedArtifact> LoadAsync(ArtifactPath path, CancellationToken cancellationToken);
}

/// <summary>
/// Renders a stable path from the catalog with the renderer the publisher uses, so the bytes, the
/// Content-Type and the surrogate keys are the published object's. The ETag is the quoted MD5 hex of the
/// bytes: what S3 (and s3rver) give the same object.
/// </summary>
public sealed class DatabaseArtifactSource(ArtifactDataReader reader, RendererSource renderers, PublishConfig config, Admin.ReplicaFence fence, Database.PrimaryDatabase primary) : IArtifactSource
{
    private readonly ArtifactDataReader primaryReader = new(primary.DataSource);

    public async Task<CachedArtifact> LoadAsync(ArtifactPath path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        // A replica that has not replayed the last admin write yet is passed over for the primary.
        var source = await fence.ChooseAsync(cancellationToken).ConfigureAwait(false);
        var data = await (ReferenceEquals(source, primary.DataSource) && fence.HasReplica ? primaryReader : reader).LoadAsync(path, config, cancellationToken).ConfigureAwait(false);
        if (data is null)
        {
            return CachedArtifact.Missing;
        }

        if (data is AssetData && !SiteAssets.Contains(data.Path))
        {
            return CachedArtifact.Missing;
        }

        var renderer = await renderers.GetAsync().ConfigureAwait(false);
        var artifact = await renderer.RenderAsync(data).ConfigureAwait(false);
        return new CachedArtifact(true, artifact.Body, ETagOf(artifact.Body), artifact.ContentType, SurrogateKeys.Format(SurrogateKeys.For(data.Path, artifact.DependencyKeys)))
        {
            EvictionTags = [SurrogateKeys.PathTag(data.Path.Path), .. artifact.DependencyKeys],
        };
    }

#pragma warning disable CA5351 // MD5 is what S3 puts in an ETag; it identifies bytes here, it secures nothing.
    public static string ETagOf(ReadOnlySpan<byte> body) => $"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"";
#pragma warning restore CA5351
}
