using System.Diagnostics.Metrics;
using Npgsql;
using Static.Api.Database;
using Static.Shared.Outbox;
using Static.Shared.Publishes;

namespace Static.Api.Telemetry;

/// <summary>What the alerting gauges read, refreshed in the background.</summary>
public sealed record AlertingSnapshot(
    double OutboxLagSeconds, long OutboxPending, double LiveVersionAgeSeconds, long LiveVersion,
    long InvalidationsPending, long InvalidationsFailing, long PublishesFailed, long PublishesStuck, DateTimeOffset ReadAt, long InvalidationsParked = 0);

/// <summary>
/// The signals to alert on, as gauges on meter <c>Static.Alerting</c> (exported at /metrics with the rest):
/// outbox lag (age of the oldest change not yet published) and size, age of the live version, invalidation
/// batches pending at the CDN, those that have failed at least once and those parked (refused for good),
/// failed publishes, and publishes still "running" after an hour (a killed publisher). Read from the primary every <see cref="Interval"/> by one
/// background loop, so a scrape never waits on the database; a reading older than three intervals is
/// reported as NaN rather than as a stale number.
/// </summary>
public sealed partial class AlertingMetrics : BackgroundService
{
    public const string MeterName = "Static.Alerting";
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly OutboxStore outbox;
    private readonly PublishesStore publishes;
    private readonly TimeProvider time;
    private readonly ILogger<AlertingMetrics> logger;
    private readonly Meter meter;
    private AlertingSnapshot? snapshot;

    public AlertingMetrics(PrimaryDatabase primary, IMeterFactory meters, TimeProvider time, ILogger<AlertingMetrics> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(primary);
        outbox = new OutboxStore(primary.DataSource);
        publishes = new PublishesStore(primary.DataSource);
        this.time = time;
        this.logger = logger;
        meter = meters.Create(MeterName);
        meter.CreateObservableGauge("static.outbox.lag", () => Read(s => s.OutboxLagSeconds), unit: "s", description: "Age of the oldest admin change not yet published (0 when none)");
        meter.CreateObservableGauge("static.outbox.pending", () => Read(s => s.OutboxPending), description: "Admin changes not yet published");
        meter.CreateObservableGauge("static.publish.live_version_age", () => Read(s => s.LiveVersionAgeSeconds), unit: "s", description: "Seconds since the live version was published");
        meter.CreateObservableGauge("static.publish.live_version", () => Read(s => s.LiveVersion), description: "The live version");
        meter.CreateObservableGauge("static.invalidations.pending", () => Read(s => s.InvalidationsPending), description: "Invalidation batches pending at the CDN (parked ones are counted by static.invalidations.parked)");
        meter.CreateObservableGauge("static.invalidations.failing", () => Read(s => s.InvalidationsFailing), description: "Owed invalidation batches the CDN has refused at least once");
        meter.CreateObservableGauge("static.invalidations.parked", () => Read(s => s.InvalidationsParked),
            description: "Invalidation batches the CDN refused for good (parked; 'publisher invalidations --retry ID'): the edge may serve old copies until their TTL");
        meter.CreateObservableGauge("static.publish.failed", () => Read(s => s.PublishesFailed), description: "Publish runs that failed (total)");
        meter.CreateObservableGauge("static.publish.stuck", () => Read(s => s.PublishesStuck), description: "Publish runs still 'running' after an hour (a killed publisher)");
    }

    public AlertingSnapshot? Current => Volatile.Read(ref snapshot);

    public async Task<AlertingSnapshot> RefreshAsync(CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var backlog = await outbox.ReadBacklogAsync(cancellationToken).ConfigureAwait(false);
        var health = await publishes.ReadHealthAsync(cancellationToken).ConfigureAwait(false);
        var read = new AlertingSnapshot(backlog.OldestAgeSeconds, backlog.Pending, health.LiveVersionAgeSeconds, health.LiveVersion,
            health.InvalidationsPending, health.InvalidationsFailing, health.Failed, health.Stuck, started, health.InvalidationsParked);

        // Two refreshes may overlap (the background loop and a caller): the one that started last wins.
        var seen = Volatile.Read(ref snapshot);
        while ((seen is null || seen.ReadAt <= started) && Interlocked.CompareExchange(ref snapshot, read, seen) != seen)
        {
            seen = Volatile.Read(ref snapshot);
        }

        return read;
    }

    public override void Dispose()
    {
        meter.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogRefreshFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private double Read(Func<AlertingSnapshot, double> pick) =>
        Current is { } s && time.GetUtcNow() - s.ReadAt < 3 * Interval ? pick(s) : double.NaN;

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Alerting metrics: cannot read the primary ({Reason}); the gauges go NaN if this lasts")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
