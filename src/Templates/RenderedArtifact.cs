using Static.Shared.Artifacts;

namespace Static.Templates;

/// <summary>The bytes of one artifact with what serves them: content type and dependency keys.</summary>
public sealed record RenderedArtifact(ArtifactPath Path, byte[] Body, string ContentType, IReadOnlyList<string> DependencyKeys);
