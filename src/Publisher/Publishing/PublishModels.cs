namespace Static.Publisher.Publishing;

/// <summary>
/// How to run: incremental by default; <see cref="Full"/> re-renders everything; <see cref="DryRun"/> writes
/// nothing. <see cref="ForcePaths"/> and <see cref="ForceKeys"/> (a scoped republish) add those paths and the
/// live paths depending on those keys to what an incremental run renders.
/// </summary>
public sealed record PublishOptions(bool Full = false, bool DryRun = false, string Trigger = "cli",
    IReadOnlyCollection<string>? ForcePaths = null, IReadOnlyCollection<string>? ForceKeys = null);

/// <summary>Where a run is, for progress bars and logs.</summary>
public sealed record PublishProgress(string Stage, int Done, int Total);

/// <summary>
/// What a run did (or, for a dry run, would do). <see cref="Version"/> is the live version afterwards;
/// <see cref="Run"/> is this run's row in the publishes table (null for a dry run).
/// </summary>
public sealed record PublishResult(
    long? Version,
    long? Run,
    bool DryRun,
    bool Full,
    int Artifacts,
    int Rendered,
    int Uploaded,
    int Unchanged,
    int Deleted,
    int ObjectsWritten,
    long BytesUploaded,
    TimeSpan Elapsed,
    IReadOnlyList<string> UploadedPaths,
    IReadOnlyList<string> DeletedPaths,
    IReadOnlyList<string> Invalidations,
    IReadOnlyList<string> ObjectKeysWritten)
{
    /// <summary>Seconds spent in each stage (plan, load, render, upload, record), in order.</summary>
    public IReadOnlyDictionary<string, double> Stages { get; init; } = new Dictionary<string, double>();

    /// <summary>The paths of <see cref="Invalidations"/> with the cache tags chosen for CloudFront.</summary>
    public Edge.InvalidationRequest? Invalidation { get; init; }

    /// <summary>Invalidation entries the CDN accepted in this run (this run's and any owed by earlier ones).</summary>
    public int InvalidationsSent { get; init; }

    /// <summary>Invalidation batches still owed after this run (the CDN refused or could not be reached).</summary>
    public int InvalidationsPending { get; init; }

    /// <summary>A full publish's check of a random sample of live objects (<c>publish.verifySample</c>); null when none ran.</summary>
    public Operations.VerifyResult? SampleCheck { get; init; }
}
