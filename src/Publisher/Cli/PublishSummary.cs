using System.Text.Json.Serialization;

namespace Static.Publisher.Cli;

/// <summary>The one line <c>publish --json</c> prints.</summary>
public sealed record PublishSummary(
    long? Version,
    long? Run,
    bool DryRun,
    bool Full,
    int Artifacts,
    int Rendered,
    int Uploaded,
    int Unchanged,
    int Deleted,
    int Invalidated,
    int InvalidationsSent,
    int InvalidationsPending,
    int Objects,
    long Bytes,
    double Seconds,
    IReadOnlyDictionary<string, double> Stages);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PublishSummary))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
