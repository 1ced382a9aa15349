using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Static.Api.Artifacts;

/// <summary>
/// Endpoints for bench/run.sh api only, mapped when <c>Static:Bench:Enabled</c> is true and answering
/// loopback callers only: the bare-Kestrel ceiling (a constant 1 KiB) and an eviction trigger (the admin
/// API proper arrives with the admin issue).
/// </summary>
internal static class BenchEndpoints
{
    private static readonly byte[] Constant = CreateConstant();

    public static IEndpointRouteBuilder MapBenchEndpoints(this IEndpointRouteBuilder app)
    {
        // The ceiling: no filter, no I/O, the same pipeline as every other endpoint.
        app.MapGet("/_bench/constant", () => TypedResults.Bytes(Constant, "application/octet-stream")).ExcludeFromDescription();
        var group = app.MapGroup("/_bench").ExcludeFromDescription().AddEndpointFilter(async (context, next) =>
            context.HttpContext.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip)
                ? await next(context).ConfigureAwait(false)
                : TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Loopback only"));
        group.MapPost("/evict", EvictAsync);
        return app;
    }

    private static async Task<NoContent> EvictAsync(string key, ArtifactCache cache, CancellationToken cancellationToken)
    {
        if (key.StartsWith('/'))
        {
            await cache.EvictPathAsync(key, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await cache.EvictKeyAsync(key, cancellationToken).ConfigureAwait(false);
        }

        return TypedResults.NoContent();
    }

    private static byte[] CreateConstant()
    {
        var bytes = new byte[1024];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)('a' + (i % 26));
        }

        return bytes;
    }
}
