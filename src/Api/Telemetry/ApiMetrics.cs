using System.Diagnostics.Metrics;

namespace Static.Api.Telemetry;

/// <summary>
/// The Api's OpenTelemetry instruments (meter <c>Static.Api</c>, exported for Prometheus at /metrics):
/// answers by tier (l1, l2, database), 404s, database queries and stale answers.
/// </summary>
public sealed class ApiMetrics : IDisposable
{
    public const string MeterName = "Static.Api";
    private readonly Meter meter;
    private readonly Counter<long> tierHits;
    private readonly Counter<long> notFound;
    private readonly Counter<long> queries;
    private readonly Counter<long> stale;

    public ApiMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        meter = meters.Create(MeterName);
        tierHits = meter.CreateCounter<long>("static.api.cache.hits", description: "Cache hits by tier (l1, l2)");
        notFound = meter.CreateCounter<long>("static.api.not_found", description: "Answers that were 404");
        queries = meter.CreateCounter<long>("static.api.database.queries", description: "Cache misses that went to PostgreSQL");
        stale = meter.CreateCounter<long>("static.api.stale_answers", description: "Answers served from cache while PostgreSQL was down");
    }

    public void Hit(string tier) => tierHits.Add(1, new KeyValuePair<string, object?>("tier", tier));

    public void NotFound() => notFound.Add(1);

    public void DatabaseQuery() => queries.Add(1);

    public void Stale() => stale.Add(1);

    public void Dispose() => meter.Dispose();
}
