using System.Text.Json.Serialization;

namespace Static.Api.Artifacts;

/// <summary>
/// An answer as cached in L1 and L2: the rendered bytes with their ETag and headers, not objects to
/// re-serialise on every hit. <see cref="Found"/> false is a cached 404.
/// </summary>
public sealed record CachedArtifact(bool Found, byte[] Body, string ETag, string ContentType, string SurrogateKeys)
{
    /// <summary>
    /// What the Api's own cache evicts this answer by: its path tag and every dependency key, uncapped
    /// (<see cref="SurrogateKeys"/> is the edge's header, capped at 50 tags).
    /// </summary>
    public IReadOnlyList<string>? EvictionTags { get; init; }

    public static CachedArtifact Missing { get; } = new(false, [], "", "text/plain", "");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CachedArtifact))]
internal sealed partial class ApiCacheJsonContext : JsonSerializerContext;
