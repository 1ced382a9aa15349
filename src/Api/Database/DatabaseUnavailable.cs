using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Static.Api.Database;

/// <summary>
/// What the Api answers when the primary database cannot be reached: 503 with <c>Retry-After</c> and problem
/// details, never 500. A write that failed this way did not commit (or its commit was never confirmed), so it
/// is never acknowledged: the client retries it once PostgreSQL is back, and no restart of the Api is needed.
/// </summary>
public static partial class DatabaseUnavailable
{
    /// <summary>What the Retry-After header says, in seconds: about what a restarted PostgreSQL takes to accept connections.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>
    /// True for the failures that mean "PostgreSQL is not there right now", not "this request is wrong": a refused
    /// or broken connection, a timeout (connecting, or a command), an exhausted pool, and the server's own
    /// connection errors (SQLSTATE class 08) and operator interventions (57P: admin shutdown, crash shutdown,
    /// cannot connect now). Npgsql's <see cref="NpgsqlException.IsTransient"/> covers most of them (and
    /// serialization failures and deadlocks, which a retry also resolves); the SQLSTATE classes are checked too
    /// because a <see cref="PostgresException"/> reports only a few codes as transient.
    /// </summary>
    public static bool Is(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException p when p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal):
                case NpgsqlException { IsTransient: true }:
                    return true;
            }
        }

        return false;
    }

    /// <summary>The 503 answer, with <c>Retry-After</c>.</summary>
    public static ProblemHttpResult Problem(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Catalog database unavailable",
            detail: "The catalog database cannot be reached; nothing was changed. Retry after the number of seconds in Retry-After.",
            extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = RetryAfterSeconds });
    }

    [LoggerMessage(EventId = 5040, Level = LogLevel.Warning, Message = "{Method} {Route}: the primary database cannot be reached; answered 503 with Retry-After")]
    private static partial void LogUnavailable(ILogger logger, string method, string? route, Exception exception);

    /// <summary>
    /// Turns a database-unavailable exception from any handler of a route group into <see cref="Problem"/>. Other
    /// exceptions go on to the host (a bug is still a 500, and logged as one).
    /// </summary>
    public sealed class Filter(ILogger<Filter> logger) : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            ArgumentNullException.ThrowIfNull(context);
            ArgumentNullException.ThrowIfNull(next);
            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (Exception e) when (Is(e) && !context.HttpContext.RequestAborted.IsCancellationRequested)
            {
                LogUnavailable(logger, context.HttpContext.Request.Method, (context.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText, e);
                return Problem(context.HttpContext);
            }
        }
    }
}
