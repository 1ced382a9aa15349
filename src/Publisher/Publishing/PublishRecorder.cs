using System.Text;
using Microsoft.Extensions.Logging;
using Static.Shared.Configuration;

namespace Static.Publisher.Publishing;

/// <summary>
/// Records a run in the publishes table: started, then committed (the artifact rows, the entity versions
/// and the root, in one transaction, after the root is in the store) or failed; and, once the version is
/// live, hands the owed invalidations to the CDN. Nothing after the commit may fail the run.
/// </summary>
internal sealed class PublishRecorder(PublishConfig config, PublishStateStore state, Edge.PendingInvalidations invalidations, ILogger logger)
{
    public Task<long> StartAsync(PublishOptions options, bool full, string settingsHash, CancellationToken cancellationToken) =>
        state.StartAsync(options.Trigger, full, settingsHash, cancellationToken);

    /// <summary>The paths to invalidate with the cache tags chosen for CloudFront.</summary>
    public Task<Edge.InvalidationRequest> PlanInvalidationAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken) =>
        state.PlanInvalidationAsync(paths, config.Cdn.CloudFront, cancellationToken);

    public Task CommitAsync(
        long run, LiveState live, PublishPlan plan, IReadOnlyList<RenderedItem> rendered, int changed, int unchanged, long bytes,
        IReadOnlyList<string> toInvalidate, ManifestPlan manifest, Edge.InvalidationRequest invalidation, CancellationToken cancellationToken) =>
        state.CommitAsync(new PublishCommit(
            run,
            rendered.Select(r => new ArtifactRow(r.Path, r.Sha256, r.HeadersHash, r.Size, r.Shard, r.DependencyKeys)).ToList(),
            plan.Removed,
            PublishPlanner.ChangedEntities(live, plan.Entities),
            live.Entities.Keys.Where(k => !plan.Entities.ContainsKey(k)).ToList(),
            plan.Universe.Count, changed, unchanged, plan.Removed.Count, bytes, toInvalidate.Count,
            manifest.Changed ? Encoding.UTF8.GetString(manifest.RootBytes) : null,
            manifest.Changed ? manifest.RootSha256 : null, invalidation), cancellationToken);

    /// <summary>
    /// The version is live: the edge may drop what changed (and anything owed from earlier runs). What the
    /// CDN did not take stays owed, recorded; a failure here is logged, never thrown.
    /// </summary>
    public async Task<Edge.InvalidationDelivery> DeliverInvalidationsAsync(long run, CancellationToken cancellationToken)
    {
        try
        {
            return await invalidations.DeliverAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            PublishLog.DeliveryFailed(logger, run, e);
            return new Edge.InvalidationDelivery(0, await state.PendingBatchesAsync(CancellationToken.None).ConfigureAwait(false));
        }
    }

    public async Task FailAsync(long run, Exception error)
    {
        await state.FailAsync(run, error.Message).ConfigureAwait(false);
        PublishLog.Failed(logger, run, error);
    }
}
