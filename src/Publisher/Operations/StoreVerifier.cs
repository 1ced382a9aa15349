using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Artifacts;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Shared.Manifests;
using Static.Templates;

namespace Static.Publisher.Operations;

/// <summary>How to verify: every live object or a random sample of <see cref="Sample"/>; repair or only report.</summary>
public sealed record VerifyOptions(bool Repair = false, int? Sample = null, int? Parallelism = null, bool Deep = false);

/// <summary>An object that was found missing or wrong and could not be repaired, and why.</summary>
public sealed record UnrepairedObject(ObjectFinding Finding, string Reason);

/// <summary>
/// What a verification found: the live version, how many objects it names and how many were checked, the problems
/// (missing or wrong), those repaired and those that could not be, and the paths sent to the edge.
/// </summary>
public sealed record VerifyResult(
    long? Version,
    int Total,
    int Checked,
    IReadOnlyDictionary<ObjectRole, int> CheckedByRole,
    IReadOnlyList<ObjectFinding> Problems,
    IReadOnlyList<ObjectFinding> Repaired,
    IReadOnlyList<UnrepairedObject> Unrepaired,
    IReadOnlyList<string> Invalidated,
    bool Repairing,
    TimeSpan Elapsed)
{
    public int Missing => Problems.Count(p => p.State == ObjectState.Missing);

    public int Wrong => Problems.Count(p => p.State == ObjectState.Wrong);

    /// <summary>Every object checked is as published, or was repaired to be.</summary>
    public bool Healthy => Problems.Count == 0 || (Repairing && Unrepaired.Count == 0);
}

/// <summary>
/// <c>publisher verify [--repair]</c>: compares the store with the live version (recorded in PostgreSQL, never a
/// listing of the bucket) by a HEAD per object, in parallel, and — with repair — writes back exactly the live
/// version's bytes for what is missing or wrong, then invalidates those paths at the edge (a missing object may have
/// been cached as a 404). Bytes come from the object's twin when that one is intact (a stable path's immutable copy,
/// or the other way round, hash-checked), else from re-rendering the path from the database; re-rendered bytes are
/// written only when they hash to the recorded SHA-256, so a repair never publishes content the live manifest does
/// not name. Holds the publisher lock, like gc: what it checks cannot change under it.
/// </summary>
public sealed partial class StoreVerifier(
    PublishConfig config,
    NpgsqlDataSource dataSource,
    PublishStateStore state,
    IObjectStore store,
    RendererSource renderers,
    ArtifactDataReader data,
    CatalogStore catalog,
    Edge.PendingInvalidations pending,
    ILogger<StoreVerifier> logger)
{
    private const string ManifestContentType = "application/json; charset=utf-8";

    /// <summary>How long verify waits for a running publish to release the publisher lock before it reports busy.</summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromMinutes(1);

    /// <summary>Takes the publisher lock and verifies (and repairs) the live version.</summary>
    public async Task<VerifyResult> VerifyAsync(VerifyOptions options, IProgress<PublishProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        // A running publish (an admin change being drained) holds the lock for a moment: wait for it, up to a minute.
        await using var held = await state.AcquireLockAsync(cancellationToken, LockWait).ConfigureAwait(false);
        return await VerifyLockedAsync(options, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The same, for a caller that already holds the publisher lock (a full publish's sample check after its commit).
    /// </summary>
    internal async Task<VerifyResult> VerifyLockedAsync(VerifyOptions options, IProgress<PublishProgress>? progress, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var live = await state.LoadLiveAsync(cancellationToken).ConfigureAwait(false);
        if (live.Root is null || live.Version is not { } version)
        {
            return new VerifyResult(null, 0, 0, new Dictionary<ObjectRole, int>(), [], [], [], [], options.Repair, watch.Elapsed);
        }

        var rows = await state.LoadLiveRowsAsync(cancellationToken).ConfigureAwait(false);
        var objects = LiveObjects.From(live.Root, rows, config.Publish.CacheControl);
        foreach (var key in objects.Inconsistencies)
        {
            LogInconsistentShard(logger, key, version);
        }

        var toCheck = options.Sample is { } n ? LiveObjects.Sample(objects.Objects, n, Random.Shared) : objects.Objects;
        var parallelism = options.Parallelism ?? config.Publish.VerifyParallelism;
        var problems = await CheckAsync(toCheck, parallelism, options.Deep, progress, cancellationToken).ConfigureAwait(false);
        var byRole = toCheck.CountBy(o => o.Role).ToDictionary(p => p.Key, p => p.Value);

        if (!options.Repair || problems.Count == 0)
        {
            return new VerifyResult(version, objects.Objects.Count, toCheck.Count, byRole, problems, [], [], [], options.Repair, watch.Elapsed);
        }

        var (repaired, unrepaired) = await RepairAsync(version, objects, problems, parallelism, cancellationToken).ConfigureAwait(false);
        var invalidated = await InvalidateAsync(version, repaired, cancellationToken).ConfigureAwait(false);
        return new VerifyResult(version, objects.Objects.Count, toCheck.Count, byRole, problems, repaired, unrepaired, invalidated, true, watch.Elapsed);
    }

    /// <summary>HEADs (or, deep, reads and hashes) every object; returns the missing and wrong ones, in key order.</summary>
    private async Task<List<ObjectFinding>> CheckAsync(IReadOnlyList<ExpectedObject> objects, int parallelism, bool deep, IProgress<PublishProgress>? progress, CancellationToken cancellationToken)
    {
        var problems = new ConcurrentBag<ObjectFinding>();
        var done = 0;
        await Parallel.ForEachAsync(objects, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (expected, ct) =>
        {
            var finding = LiveObjects.Classify(expected, await HeadAsync(expected.Key, deep, ct).ConfigureAwait(false));
            if (finding.State != ObjectState.Ok)
            {
                problems.Add(finding);
            }

            var n = Interlocked.Increment(ref done);
            if ((n & 255) == 0 || n == objects.Count)
            {
                progress?.Report(new PublishProgress("verifying", n, objects.Count));
            }
        }).ConfigureAwait(false);
        return [.. problems.OrderBy(p => p.Expected.Key, StringComparer.Ordinal)];
    }

    private async Task<ObjectHead?> HeadAsync(string key, bool deep, CancellationToken cancellationToken)
    {
        if (!deep)
        {
            return await store.HeadAsync(key, cancellationToken).ConfigureAwait(false);
        }

        // Deep: the bytes themselves, hashed here — catches an overwrite that kept the sha256 metadata.
        var stored = await store.GetAsync(key, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : new ObjectHead(key, stored.Body.Length, stored.ContentType, stored.CacheControl, ContentHash.Sha256(stored.Body), stored.Metadata);
    }

    private async Task<(List<ObjectFinding> Repaired, List<UnrepairedObject> Unrepaired)> RepairAsync(
        long version, LiveObjects objects, List<ObjectFinding> problems, int parallelism, CancellationToken cancellationToken)
    {
        var bad = problems.Select(p => p.Expected.Key).ToHashSet(StringComparer.Ordinal);
        var repaired = new ConcurrentBag<ObjectFinding>();
        var unrepaired = new ConcurrentBag<UnrepairedObject>();

        // Artifact bytes: from the intact twin where there is one, else re-rendered (in one batch) and hash-checked.
        var artifactProblems = problems.Where(p => p.Expected.Row is not null).ToList();
        var bodies = new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);   // by sha256
        var twins = objects.Objects.Where(o => o.Row is not null && !bad.Contains(o.Key)).ToLookup(o => o.Sha256!, StringComparer.Ordinal);
        await Parallel.ForEachAsync(artifactProblems.Select(p => p.Expected.Sha256!).Distinct(StringComparer.Ordinal),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (sha, ct) =>
            {
                foreach (var twin in twins[sha])
                {
                    var copy = await store.GetAsync(twin.Key, ct).ConfigureAwait(false);
                    if (copy is not null && ContentHash.Sha256(copy.Body) == sha)
                    {
                        bodies[sha] = copy.Body;
                        return;
                    }
                }
            }).ConfigureAwait(false);

        var renderFailures = await RenderMissingBodiesAsync(artifactProblems.Where(p => !bodies.ContainsKey(p.Expected.Sha256!)).ToList(), bodies, cancellationToken).ConfigureAwait(false);

        await Parallel.ForEachAsync(problems, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (finding, ct) =>
        {
            var why = await RepairOneAsync(version, finding.Expected, objects, bodies, renderFailures, ct).ConfigureAwait(false);
            if (why is null)
            {
                // Check it as the next verify would.
                var after = LiveObjects.Classify(finding.Expected, await store.HeadAsync(finding.Expected.Key, ct).ConfigureAwait(false));
                why = after.State == ObjectState.Ok ? null : $"still {after.State.ToString().ToLowerInvariant()} after the repair ({after.Reason})";
            }

            if (why is null)
            {
                repaired.Add(finding);
                LogRepaired(logger, finding.Expected.Key, finding.State.ToString().ToLowerInvariant(), version);
            }
            else
            {
                unrepaired.Add(new UnrepairedObject(finding, why));
                LogUnrepaired(logger, finding.Expected.Key, why);
            }
        }).ConfigureAwait(false);

        return ([.. repaired.OrderBy(r => r.Expected.Key, StringComparer.Ordinal)], [.. unrepaired.OrderBy(u => u.Finding.Expected.Key, StringComparer.Ordinal)]);
    }

    /// <summary>Writes one object back; returns null when written, else why it cannot be.</summary>
    private async Task<string?> RepairOneAsync(
        long version, ExpectedObject expected, LiveObjects objects, ConcurrentDictionary<string, byte[]> bodies,
        IReadOnlyDictionary<string, string> renderFailures, CancellationToken cancellationToken)
    {
        var cc = config.Publish.CacheControl;
        if (expected.Role is ObjectRole.Root or ObjectRole.Shard)
        {
            if (!objects.ManifestBytes.TryGetValue(expected.Key, out var manifestBytes))
            {
                return $"the live rows do not rebuild this shard of version {version}; run 'publisher publish --full'";
            }

            var root = expected.Role == ObjectRole.Root;
            await store.PutAsync(new ObjectToPut(expected.Key, manifestBytes, ManifestContentType, root ? cc.Manifest : cc.Immutable,
                new Dictionary<string, string> { [ObjectHead.Sha256MetadataKey] = expected.Sha256! }, ContentAddressed: !root), cancellationToken).ConfigureAwait(false);
            return null;
        }

        var row = expected.Row!;
        if (!bodies.TryGetValue(row.Sha256, out var body))
        {
            return renderFailures.TryGetValue(row.Sha256, out var why) ? why : $"no intact copy of {row.Path} and it could not be rendered; run 'publisher publish --full'";
        }

        if (expected.Headers is not { } headers)
        {
            // The recorded fingerprint is of other headers (Cache-Control settings changed since): the next publish
            // re-uploads this path with the new ones; writing either set now would not be the live version's.
            return $"cannot repair: {row.Path} was published with headers other than today's settings give; run 'publisher publish'";
        }

        var metadata = new Dictionary<string, string> { [SurrogateKeys.MetadataKey] = headers.CacheTags, [ObjectHead.Sha256MetadataKey] = row.Sha256 };
        await store.PutAsync(new ObjectToPut(expected.Key, body, headers.ContentType, headers.CacheControl, metadata, ContentAddressed: expected.Role == ObjectRole.Immutable),
            cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Re-renders the paths whose bytes no intact copy holds, from the database as it is now, and keeps those that
    /// hash to the live version's SHA-256. Returns, by SHA-256, why the others cannot be repaired.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, string>> RenderMissingBodiesAsync(List<ObjectFinding> needed, ConcurrentDictionary<string, byte[]> bodies, CancellationToken cancellationToken)
    {
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        var rows = needed.Select(p => p.Expected.Row!).DistinctBy(r => r.Path, StringComparer.Ordinal).ToList();
        if (rows.Count == 0)
        {
            return failures;
        }

        var (siteConfig, _) = await data.GetSiteConfigAsync(cancellationToken).ConfigureAwait(false);
        var categories = await catalog.GetCategoriesAsync(cancellationToken).ConfigureAwait(false);
        var site = SiteInfo.From(config, siteConfig);
        var step = new ArtifactRenderStep(config, renderers, data);
        var paths = rows.Select(r => ArtifactPath.TryParse(r.Path)).OfType<ArtifactPath>().ToList();

        IReadOnlyList<RenderedItem> rendered;
        try
        {
            rendered = await step.RenderAsync(paths, site, categories, false, new StageClock(), null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
        {
            // A path whose entity is gone stops the batch: render one by one to keep what still renders.
            var one = new List<RenderedItem>();
            foreach (var path in paths)
            {
                try
                {
                    one.AddRange(await step.RenderAsync([path], site, categories, false, new StageClock(), null, cancellationToken).ConfigureAwait(false));
                }
                catch (Exception inner) when (inner is KeyNotFoundException or InvalidOperationException)
                {
                    var row = rows.First(r => r.Path == path.Path);
                    failures[row.Sha256] = $"cannot repair: {path.Path} no longer renders from the catalog (deleted since the live version?); run 'publisher publish'";
                }
            }

            rendered = one;
        }

        foreach (var item in rendered)
        {
            var row = rows.First(r => r.Path == item.Path);
            if (item.Sha256 == row.Sha256)
            {
                bodies[row.Sha256] = item.Body!;
            }
            else
            {
                failures.TryAdd(row.Sha256, $"cannot repair: the catalog moved on since the live version ({item.Path} renders to other bytes now); run 'publisher publish'");
            }
        }

        return failures;
    }

    /// <summary>
    /// Records the repaired objects' paths as owed to the CDN (under the live version) and delivers what is owed:
    /// a missing object may be cached at the edge as a 404, a wrong one as its wrong bytes.
    /// </summary>
    private async Task<IReadOnlyList<string>> InvalidateAsync(long version, List<ObjectFinding> repaired, CancellationToken cancellationToken)
    {
        var paths = repaired.Select(r => r.Expected.UrlPath).ToList();
        if (paths.Contains(ArtifactPath.Home))
        {
            paths.Add("/");
        }

        paths = [.. paths.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        if (paths.Count == 0)
        {
            return paths;
        }

        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            var request = await Edge.PendingInvalidations.PlanAsync(connection, transaction, paths, config.Cdn.CloudFront, cancellationToken).ConfigureAwait(false);
            await Edge.PendingInvalidations.AddAsync(connection, transaction, version, request, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        await pending.DeliverAsync(cancellationToken).ConfigureAwait(false);
        return paths;
    }

    /// <summary>A one-line summary of a result, for the CLI and the publish log.</summary>
    public static string Describe(VerifyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var c = System.Globalization.CultureInfo.InvariantCulture;
        if (result.Version is null)
        {
            return "Nothing is published yet: no live version to verify.";
        }

        var roles = result.CheckedByRole;
        var text = new StringBuilder();
        text.Append(c, $"Verified live version {result.Version}: {result.Checked} of {result.Total} objects checked ");
        text.Append(c, $"({roles.GetValueOrDefault(ObjectRole.Stable)} stable paths, {roles.GetValueOrDefault(ObjectRole.Immutable)} immutable copies, {roles.GetValueOrDefault(ObjectRole.Shard)} shards, {roles.GetValueOrDefault(ObjectRole.Root)} root)");
        text.Append(c, $" in {result.Elapsed.TotalSeconds:0.00} s: {result.Checked - result.Problems.Count} ok, {result.Missing} missing, {result.Wrong} wrong");
        if (result.Repairing && result.Problems.Count > 0)
        {
            text.Append(c, $"; {result.Repaired.Count} repaired, {result.Unrepaired.Count} not repaired, {result.Invalidated.Count} paths invalidated");
        }

        return text.Append('.').ToString();
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "verify: repaired {Key} ({State}) with the bytes of live version {Version}")]
    private static partial void LogRepaired(ILogger logger, string key, string state, long version);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "verify: cannot repair {Key}: {Reason}")]
    private static partial void LogUnrepaired(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "verify: shard {Key} of live version {Version} does not match the live rows; checked for existence only")]
    private static partial void LogInconsistentShard(ILogger logger, string key, long version);
}
