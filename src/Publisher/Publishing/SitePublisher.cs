using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Static.Publisher.Stores;
using Static.Shared.Artifacts;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Templates;

namespace Static.Publisher.Publishing;

/// <summary>
/// One publish, step by step: <see cref="PublishPlanner"/> (what to render), <see cref="ArtifactRenderStep"/>,
/// <see cref="ArtifactDiff"/> (by hash against the live manifest), <see cref="ManifestBuilder"/>,
/// <see cref="UploadSequence"/> (immutable copies, stable paths, deletes, shards, then the root) and
/// <see cref="PublishRecorder"/>. Holds the publisher's advisory lock throughout, so runs never interleave.
/// </summary>
public sealed class SitePublisher
{
    private readonly PublishConfig config;
    private readonly ArtifactDataReader data;
    private readonly CatalogStore catalog;
    private readonly PublishStateStore state;
    private readonly Operations.PinState pins;
    private readonly IObjectStore store;
    private readonly ILogger<SitePublisher> logger;
    private readonly PublishPlanner planner;
    private readonly ArtifactRenderStep renderer;
    private readonly UploadSequence uploads;
    private readonly ImageVariantStep images;
    private readonly PublishRecorder recorder;
    private readonly Operations.StoreVerifier verifier;

    public SitePublisher(
        PublishConfig config,
        RendererSource renderers,
        ArtifactDataReader data,
        CatalogStore catalog,
        ImageStore imageStore,
        PublishStateStore state,
        Operations.PinState pins,
        Edge.PendingInvalidations invalidations,
        IObjectStore store,
        Operations.StoreVerifier verifier,
        ILogger<SitePublisher> logger)
    {
        this.verifier = verifier;
        this.config = config;
        this.data = data;
        this.catalog = catalog;
        this.state = state;
        this.pins = pins;
        this.store = store;
        this.logger = logger;
        planner = new PublishPlanner(config, state);
        renderer = new ArtifactRenderStep(config, renderers, data);
        uploads = new UploadSequence(store, config);
        images = new ImageVariantStep(config, imageStore, store, logger);
        recorder = new PublishRecorder(config, state, invalidations, logger);
    }

    public async Task<PublishResult> PublishAsync(PublishOptions options, IProgress<PublishProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var stages = new StageClock();
        await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);

        IAsyncDisposable? held = options.DryRun ? null : await state.AcquireLockAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!options.DryRun)
            {
                // A rollback pinned a version: no publish may undo it until 'publisher resume'.
                await pins.ThrowIfPinnedAsync(cancellationToken).ConfigureAwait(false);
            }

            progress?.Report(new PublishProgress("planning", 0, 1));
            stages.Lap("lock");
            var live = await state.LoadLiveAsync(cancellationToken).ConfigureAwait(false);
            stages.Lap("live");
            var (siteConfig, configVersion) = await data.GetSiteConfigAsync(cancellationToken).ConfigureAwait(false);
            var categories = await catalog.GetCategoriesAsync(cancellationToken).ConfigureAwait(false);
            var products = await data.GetProductVersionsAsync(cancellationToken).ConfigureAwait(false);
            var site = SiteInfo.From(config, siteConfig);
            stages.Lap("catalog");

            var plan = await planner.PlanAsync(live, categories, products, configVersion, options, cancellationToken).ConfigureAwait(false);
            var (universe, full, removed) = (plan.Universe, plan.Full, plan.Removed);
            stages.Lap("plan");
            long? run = options.DryRun ? null : await recorder.StartAsync(options, full, plan.SettingsHash, cancellationToken).ConfigureAwait(false);
            var committed = false;
            try
            {
                // A real run writes the immutable copies while it renders (bounded memory); a dry run writes nothing.
                var written = new ConcurrentBag<string>();
                await using var early = options.DryRun ? null : new ImmutableWriter(store, config, live, written, cancellationToken);
                List<RenderedItem> rendered;
                try
                {
                    rendered = await renderer.RenderAsync(plan.RenderSet.Select(p => universe[p]).ToList(), site, categories, full, stages, progress, cancellationToken,
                        early is null ? null : early.AcceptAsync).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    early?.ThrowIfFailed();   // a failed write stopped the render: report the write
                    throw;
                }

                long bytes = early is null ? 0 : await early.CompleteAsync().ConfigureAwait(false);
                var changed = ArtifactDiff.Changed(rendered, live);
                var unchanged = rendered.Count - changed.Count;
                foreach (var same in rendered.Except(changed))
                {
                    same.Body = null;   // only changed bodies are kept until upload
                }

                var newVersion = run ?? (live.Version ?? 0) + 1;
                var manifest = ManifestBuilder.Build(live, rendered, changed, removed, newVersion);
                var toInvalidate = live.Version is null
                    ? ArtifactDiff.FirstPublishInvalidations(changed)
                    : ArtifactDiff.Invalidations(changed, removed);
                if (!full && (options.ForcePaths is { Count: > 0 } || options.ForceKeys is { Count: > 0 }))
                {
                    // A scoped republish refreshes the edge for what it names, even where the bytes are the same.
                    toInvalidate = [.. toInvalidate.Union(await planner.ForcedPathsAsync(options, universe, cancellationToken).ConfigureAwait(false), StringComparer.Ordinal).Order(StringComparer.Ordinal)];
                }

                var invalidation = await recorder.PlanInvalidationAsync(toInvalidate, cancellationToken).ConfigureAwait(false);
                stages.Lap("diff");

                if (options.DryRun)
                {
                    var plannedKeys = ArtifactDiff.PlannedKeys(live, changed, manifest);
                    return new PublishResult(live.Version, null, true, full, universe.Count, rendered.Count, changed.Count, unchanged, removed.Count,
                        plannedKeys.Count, changed.Sum(c => (long)c.Size), watch.Elapsed,
                        changed.Select(c => c.Path).ToList(), removed, toInvalidate, plannedKeys) { Stages = stages.Laps, Invalidation = invalidation };
                }

                if (manifest.Changed)
                {
                    // 0. The image variants the changed pages reference, before any stable path or manifest names those
                    //    pages (their immutable copies, written while rendering, are unreachable until then).
                    bytes += (await images.EnsureAsync(changed.SelectMany(c => c.Images), written, progress, cancellationToken).ConfigureAwait(false)).Bytes;
                    stages.Lap("images");
                    bytes += await uploads.UploadAsync(live, changed, removed, manifest, early!.Stored, written, progress, cancellationToken).ConfigureAwait(false);
                }
                else if (await uploads.RepairRootAsync(live, written, cancellationToken).ConfigureAwait(false))
                {
                    PublishLog.RootRepaired(logger, live.Version ?? 0);
                }

                stages.Lap("upload");

                await recorder.CommitAsync(run!.Value, live, plan, rendered, changed.Count, unchanged, bytes, toInvalidate, manifest, invalidation, cancellationToken).ConfigureAwait(false);
                committed = true;

                // The version is live: now the edge may drop what changed (and anything owed from earlier runs).
                var delivery = await recorder.DeliverInvalidationsAsync(run.Value, cancellationToken).ConfigureAwait(false);
                stages.Lap("invalidate");

                stages.Lap("record");

                // A full publish also checks a random sample of live objects against the store and repairs what it
                // finds (objects deleted behind the publisher's back; 'publisher verify' checks them all).
                var sample = options.Full && config.Publish.VerifySample > 0 ? await CheckSampleAsync(cancellationToken).ConfigureAwait(false) : null;
                stages.Lap("verify");
                var liveVersion = manifest.Changed ? run : live.Version;
                PublishLog.Published(logger, run.Value, liveVersion ?? 0, universe.Count, changed.Count, unchanged, removed.Count, watch.Elapsed.TotalSeconds);
                return new PublishResult(liveVersion, run, false, full, universe.Count, rendered.Count, changed.Count, unchanged, removed.Count,
                    written.Count, bytes, watch.Elapsed, changed.Select(c => c.Path).ToList(), removed, toInvalidate,
                    written.Order(StringComparer.Ordinal).ToList()) { Stages = stages.Laps, Invalidation = invalidation, InvalidationsSent = delivery.Sent, InvalidationsPending = delivery.StillPending, SampleCheck = sample };
            }
            catch (Exception e) when (run is not null && !committed)
            {
                await recorder.FailAsync(run.Value, e).ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            if (held is not null)
            {
                await held.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The sample check, under the lock this run holds, after its commit: a failure here is logged and never fails
    /// the publish, whose version is already live.
    /// </summary>
    private async Task<Operations.VerifyResult?> CheckSampleAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await verifier.VerifyLockedAsync(new Operations.VerifyOptions(Repair: true, Sample: config.Publish.VerifySample), null, cancellationToken).ConfigureAwait(false);
            if (result.Problems.Count > 0)
            {
                PublishLog.SampleRepaired(logger, result.Checked, result.Total, result.Missing, result.Wrong, result.Repaired.Count, result.Unrepaired.Count);
            }

            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            PublishLog.SampleFailed(logger, e);
            return null;
        }
    }
}
