using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Static.Publisher.Operations;
using Static.Publisher.Publishing;
using Static.Shared.Configuration;
using Static.Shared.Outbox;

namespace Static.Publisher.Jobs;

/// <summary>What one drain did.</summary>
public sealed record DrainResult(int Publishes, int ChangesPublished, int ChangesLeft);

/// <summary>
/// Turns the outbox into incremental publishes. Waits until the oldest pending change is
/// <c>outbox.debounce</c> old (so a burst coalesces into one publish; the wait is bounded by the window),
/// takes every change committed by then, publishes (incremental: the changed entities' dependents, plus the
/// paths and keys of republish requests; everything for <c>all</c>), and marks those rows processed only
/// once the publish and its invalidation succeeded (or the invalidation was parked: refused for good). Loops until the outbox is empty. A crash anywhere
/// leaves the rows pending, and the next drain publishes them: no acknowledged change is lost. Its waits
/// (the debounce, another publish holding the lock) run on <see cref="TimeProvider"/>; the debounce age
/// itself is measured on the database's clock.
/// </summary>
public sealed partial class OutboxDrainer(
    OutboxStore outbox, SitePublisher publisher, PublishStateStore state, Edge.PendingInvalidations invalidations, PublishConfig config, PublishHealth health,
    TimeProvider time, ILogger<OutboxDrainer> logger)
{
    /// <summary>How often a drain tries to publish while another publish holds the lock (every <see cref="BusyRetryDelay"/>: two minutes).</summary>
    internal const int BusyAttempts = 600;

    internal static readonly TimeSpan BusyRetryDelay = TimeSpan.FromMilliseconds(200);

    private readonly ResiliencePipeline busyRetry = CreateBusyRetry(time);

    public async Task<DrainResult> DrainAsync(CancellationToken cancellationToken)
    {
        var publishes = 0;
        var published = 0;
        while (true)
        {
            published += await ReleaseInvalidatedAsync(cancellationToken).ConfigureAwait(false);
            var oldestAge = await outbox.OldestPendingAgeAsync(cancellationToken).ConfigureAwait(false);
            if (oldestAge is null)
            {
                return new DrainResult(publishes, published, 0);
            }

            await WaitForDebounceAsync(config.Outbox.Debounce, oldestAge.Value, time, cancellationToken).ConfigureAwait(false);

            var batch = await outbox.ReadPendingAsync(cancellationToken).ConfigureAwait(false);
            if (batch.Ids.Count == 0)
            {
                continue;
            }

            PublishResult result;
            try
            {
                result = await PublishWhenFreeAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (PublishPausedException e)
            {
                LogPaused(logger, batch.Ids.Count, e.Version);
                return new DrainResult(publishes, published, batch.Ids.Count);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                health.Record("failed", null);
                LogFailed(logger, batch.Ids.Count, e);
                await RecordFailureAsync(batch.Ids, e.Message, cancellationToken).ConfigureAwait(false);
                return new DrainResult(publishes, published, batch.Ids.Count);
            }

            publishes++;
            health.Record("succeeded", result);
            if (result.Version is { } live && await state.InvalidationOwedAsync(live, cancellationToken).ConfigureAwait(false))
            {
                // Published, but the CDN has not taken this version's invalidation yet: the rows wait for it (not
                // published again) until it is delivered or parked; each drain sends it once due. (Batches owed by
                // older runs do not hold these rows back; the alerting gauges show them.)
                await outbox.MarkAwaitingInvalidationAsync(batch.Ids, live, $"published as version {live}; invalidation pending at the CDN", CancellationToken.None).ConfigureAwait(false);
                LogInvalidationPending(logger, batch.Ids.Count, live);
                continue;
            }

            await outbox.MarkPublishedAsync(batch.Ids, result.Version, CancellationToken.None).ConfigureAwait(false);
            published += batch.Ids.Count;
            if (logger.IsEnabled(LogLevel.Information))
            {
                var stages = string.Join(' ', result.Stages.Select(s => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{s.Key}={s.Value * 1000:0}ms")));
                LogDrained(logger, batch.Ids.Count, result.Version ?? 0, result.Rendered, result.Uploaded, result.Invalidations.Count, result.Elapsed.TotalMilliseconds, stages);
            }
        }
    }

    /// <summary>
    /// Rows published but waiting for their version's invalidation: sends the batches that are due (the backoff
    /// of <see cref="Edge.PendingInvalidations"/> decides), then releases the rows whose batch was delivered or
    /// parked. Returns how many were released.
    /// </summary>
    private async Task<int> ReleaseInvalidatedAsync(CancellationToken cancellationToken)
    {
        if (!await outbox.AnyAwaitingInvalidationAsync(cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        await invalidations.DeliverAsync(cancellationToken).ConfigureAwait(false);
        var released = await outbox.ReleaseInvalidatedAsync(cancellationToken).ConfigureAwait(false);
        if (released > 0)
        {
            LogReleased(logger, released);
        }

        return released;
    }

    /// <summary>
    /// Waits out the rest of the debounce window: until the oldest pending change, <paramref name="oldestAge"/>
    /// old now, is <paramref name="debounce"/> old. Returns at once when it already is.
    /// </summary>
    internal static Task WaitForDebounceAsync(TimeSpan debounce, TimeSpan oldestAge, TimeProvider time, CancellationToken cancellationToken)
    {
        var wait = debounce - oldestAge;
        return wait > TimeSpan.Zero ? Task.Delay(wait, time, cancellationToken) : Task.CompletedTask;
    }

    /// <summary>
    /// Retries only <see cref="PublishBusyException"/> (another publish — a CLI run, the scheduled full publish —
    /// holds the lock): up to <see cref="BusyAttempts"/> attempts, <see cref="BusyRetryDelay"/> apart, then the
    /// last one's exception. Anything else, and cancellation, passes straight through.
    /// </summary>
    internal static ResiliencePipeline CreateBusyRetry(TimeProvider time) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<PublishBusyException>(),
                MaxRetryAttempts = BusyAttempts - 1,
                Delay = BusyRetryDelay,
                BackoffType = DelayBackoffType.Constant,
                UseJitter = false,
            })
            .Build();

    /// <summary>Waits for another publish to finish rather than failing.</summary>
    private async Task<PublishResult> PublishWhenFreeAsync(PendingChanges batch, CancellationToken cancellationToken)
    {
        var options = new PublishOptions(Full: batch.All, Trigger: "outbox", ForcePaths: batch.Paths, ForceKeys: batch.Keys);
        return await busyRetry.ExecuteAsync(
            async ct => await publisher.PublishAsync(options, null, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    // A failure is recorded even when the drain is being cancelled: the rows must show why they wait.
    private Task RecordFailureAsync(IReadOnlyCollection<long> ids, string error, CancellationToken cancellationToken) =>
        outbox.RecordFailureAsync(ids, error, cancellationToken.IsCancellationRequested ? CancellationToken.None : cancellationToken);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Outbox: {Changes} change(s) published as version {Version}: {Rendered} rendered, {Uploaded} uploaded, {Invalidated} path(s) invalidated in {Milliseconds:0} ms ({Stages})")]
    private static partial void LogDrained(ILogger logger, int changes, long version, int rendered, int uploaded, int invalidated, double milliseconds, string stages);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Outbox: {Changes} change(s) wait: version {Version} is pinned by a rollback; run 'publisher resume'")]
    private static partial void LogPaused(ILogger logger, int changes, long version);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Error, Message = "Outbox: publishing {Changes} change(s) failed; they stay pending and are retried")]
    private static partial void LogFailed(ILogger logger, int changes, Exception exception);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Warning, Message = "Outbox: {Changes} change(s) published as version {Version}, but the CDN has not taken the invalidation yet; sent again when due, and the changes are marked published once it is delivered or parked")]
    private static partial void LogInvalidationPending(ILogger logger, int changes, long version);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Information, Message = "Outbox: {Changes} published change(s) released: their invalidation was delivered or parked")]
    private static partial void LogReleased(ILogger logger, int changes);
}
