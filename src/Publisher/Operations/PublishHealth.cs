using System.Diagnostics.Metrics;
using Static.Publisher.Publishing;

namespace Static.Publisher.Operations;

/// <summary>
/// The publisher's health as metrics (meter <c>Static.Publisher</c>, readable with dotnet-counters or any
/// OpenTelemetry listener): age and outcome of the last scheduled publish, and runs by outcome.
/// </summary>
public sealed class PublishHealth : IDisposable
{
    public const string MeterName = "Static.Publisher";
    private readonly Meter meter = new(MeterName);
    private readonly Counter<long> runs;
    private readonly Counter<long> invalidations;
    private readonly TimeProvider time;
    private DateTimeOffset? lastFinished;
    private bool lastSucceeded;

    public PublishHealth(TimeProvider time)
    {
        this.time = time;
        runs = meter.CreateCounter<long>("static.publisher.runs", description: "Publish runs by outcome (succeeded, failed, paused, busy)");
        invalidations = meter.CreateCounter<long>("static.publisher.invalidation_entries", description: "Invalidation entries sent to the CDN");
        meter.CreateObservableGauge("static.publisher.last_publish_age", () => lastFinished is { } t ? (time.GetUtcNow() - t).TotalSeconds : double.NaN, unit: "s",
            description: "Seconds since the last publish run finished");
        meter.CreateObservableGauge("static.publisher.last_publish_succeeded", () => lastSucceeded ? 1 : 0, description: "1 when the last run succeeded");
    }

    public DateTimeOffset? LastFinished => lastFinished;

    public bool LastSucceeded => lastSucceeded;

    public void Record(string outcome, PublishResult? result)
    {
        if (result is not null)
        {
            invalidations.Add(result.InvalidationsSent);
        }

        lastFinished = time.GetUtcNow();
        lastSucceeded = outcome == "succeeded";
        runs.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
    }

    public void Dispose() => meter.Dispose();
}
