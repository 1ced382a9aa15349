using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using StackExchange.Redis;

namespace Static.Api.Health;

internal sealed record DependencyStatus(string Name, bool Up, string? Error);

internal sealed record ReadinessReport(bool Ready, IReadOnlyList<DependencyStatus> Dependencies);

internal static class HealthEndpoints
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    public static RouteGroupBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("").WithTags("health");
        health.MapGet("/healthz", Alive)
            .WithName("Alive").WithSummary("The process is up.");
        health.MapGet("/readyz", ReadyAsync)
            .WithName("Ready").WithSummary("PostgreSQL and Redis are reachable.");
        return health;
    }

    private static ContentHttpResult Alive() => TypedResults.Text("ok");

    private static async Task<Results<Ok<ReadinessReport>, JsonHttpResult<ReadinessReport>>> ReadyAsync(
        NpgsqlDataSource dataSource, IConnectionMultiplexer redis, CancellationToken cancellationToken)
    {
        var postgres = ProbePostgresAsync(dataSource, cancellationToken);
        var cache = ProbeRedisAsync(redis);
        var report = new ReadinessReport(false, [await postgres.ConfigureAwait(false), await cache.ConfigureAwait(false)]);
        report = report with { Ready = report.Dependencies.All(d => d.Up) };
        return report.Ready ? TypedResults.Ok(report) : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<DependencyStatus> ProbePostgresAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ProbeTimeout);
            await using var command = dataSource.CreateCommand("select 1");
            await command.ExecuteScalarAsync(timeout.Token).ConfigureAwait(false);
            return new DependencyStatus("postgres", true, null);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return new DependencyStatus("postgres", false, e.GetType().Name);
        }
    }

    private static async Task<DependencyStatus> ProbeRedisAsync(IConnectionMultiplexer redis)
    {
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(ProbeTimeout).ConfigureAwait(false);
            return new DependencyStatus("redis", true, null);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return new DependencyStatus("redis", false, e.GetType().Name);
        }
    }
}
