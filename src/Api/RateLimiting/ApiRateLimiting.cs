using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Static.Api.Admin;
using Static.Shared.Configuration;

namespace Static.Api.RateLimiting;

/// <summary>
/// ASP.NET Core's built-in rate limiter, with two policies that the route groups name: <see cref="AdminPolicy"/>
/// (per admin token) and <see cref="ReadPolicy"/> (per client address, see <see cref="ClientAddresses"/>). Token
/// buckets from <c>api.rateLimits</c>; past one, 429 with <c>Retry-After</c> and problem details. Health, metrics and
/// OpenAPI carry no policy and are never limited.
/// </summary>
public static partial class ApiRateLimiting
{
    public const string AdminPolicy = "admin";
    public const string ReadPolicy = "reads";

    /// <summary>The limiter's services. The middleware goes after authentication (the admin policy reads the token) and before authorization.</summary>
    public static IServiceCollection AddApiRateLimiting(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new ClientAddresses(sp.GetRequiredService<PublishConfig>().Api.RateLimits.TrustedNetworks()));
        services.AddRateLimiter(options =>
        {
            options.AddPolicy<string, AdminLimits>(AdminPolicy);
            options.AddPolicy<string, ReadLimits>(ReadPolicy);
            options.OnRejected = RejectAsync;
        });
        return services;
    }

    private static TokenBucketRateLimiterOptions Bucket(int permitsPerSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = permitsPerSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        AutoReplenishment = true,
        QueueLimit = 0,   // refuse at once: a queued request would hold its connection and the client gets no Retry-After
    };

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
        var admin = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == AdminPolicy;
        var setting = admin ? "api.rateLimits.adminPermitsPerSecond / adminBurst, per admin token" : "api.rateLimits.readPermitsPerSecond / readBurst, per client address";
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiRateLimiting));
        LogRejected(logger, http.Request.Method, admin ? AdminPolicy : ReadPolicy, seconds);
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too Many Requests",
                detail: string.Create(CultureInfo.InvariantCulture, $"Request rate limit reached ({setting}). Retry after {seconds} s."),
                extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = seconds })
            .ExecuteAsync(http).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 5041, Level = LogLevel.Debug, Message = "{Method} refused by the {Policy} rate limit; Retry-After {Seconds} s")]
    private static partial void LogRejected(ILogger logger, string method, string policy, int seconds);

    /// <summary>Per admin token; a request without a valid token (it will get 401) per client address.</summary>
    private sealed class AdminLimits(PublishConfig config, ClientAddresses addresses) : IRateLimiterPolicy<string>
    {
        public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => null;

        public RateLimitPartition<string> GetPartition(HttpContext httpContext)
        {
            var limits = config.Api.RateLimits;
            if (!limits.Enabled)
            {
                return RateLimitPartition.GetNoLimiter("off");
            }

            var key = httpContext.User.FindFirst(AdminTokens.TokenIdClaim)?.Value is { } token ? "token:" + token
                : addresses.ClientOf(httpContext) is { } client ? "anonymous:" + client
                : null;
            return key is null
                ? RateLimitPartition.GetNoLimiter("edge")
                : RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(limits.AdminPermitsPerSecond, limits.AdminBurst));
        }
    }

    /// <summary>Per client address; a trusted edge's own traffic is not limited.</summary>
    private sealed class ReadLimits(PublishConfig config, ClientAddresses addresses) : IRateLimiterPolicy<string>
    {
        public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => null;

        public RateLimitPartition<string> GetPartition(HttpContext httpContext)
        {
            var limits = config.Api.RateLimits;
            return limits.Enabled && addresses.ClientOf(httpContext) is { } client
                ? RateLimitPartition.GetTokenBucketLimiter("address:" + client, _ => Bucket(limits.ReadPermitsPerSecond, limits.ReadBurst))
                : RateLimitPartition.GetNoLimiter("edge");
        }
    }
}

/// <summary>
/// Who a request is from, for per-address limits. The peer's address, unless the peer is a trusted edge
/// (<c>api.rateLimits.trustedEdges</c>): then <c>X-Forwarded-For</c> is read from the right (each proxy appends the
/// address it got the request from; Varnish appends <c>client.ip</c>), skipping trusted hops, and the first untrusted
/// address is the client. What an untrusted peer says in <c>X-Forwarded-For</c> is never read, so it cannot spoof its
/// way into another client's bucket or out of its own.
/// </summary>
public sealed class ClientAddresses(IReadOnlyList<IPNetwork> trusted)
{
    /// <summary>Hops read from <c>X-Forwarded-For</c> at most; the rest of a longer chain is not looked at.</summary>
    private const int MaxHops = 16;

    /// <summary>
    /// The client's address, or null when there is none to limit: the request comes from a trusted edge with no
    /// untrusted address behind it (the edge's own traffic, or a viewer on the edge's machine), or has no peer address
    /// (the in-process test host).
    /// </summary>
    public IPAddress? ClientOf(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Connection.RemoteIpAddress is not { } peer)
        {
            return null;
        }

        peer = Normalize(peer);
        if (!IsTrusted(peer))
        {
            return peer;
        }

        var values = http.Request.Headers["X-Forwarded-For"];
        var hops = 0;
        for (var v = values.Count - 1; v >= 0; v--)
        {
            var rest = (values[v] ?? "").AsSpan();
            while (rest.Length > 0)
            {
                var comma = rest.LastIndexOf(',');
                var entry = rest[(comma + 1)..].Trim();
                rest = comma < 0 ? [] : rest[..comma];
                if (entry.Length == 0)
                {
                    continue;
                }

                if (++hops > MaxHops || !TryParse(entry, out var hop))
                {
                    // Unparseable: written by whoever sent the request to a trusted hop, which answers for it.
                    return null;
                }

                if (!IsTrusted(hop))
                {
                    return hop;
                }
            }
        }

        return null;
    }

    public bool IsTrusted(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        foreach (var network in trusted)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>An address, as proxies write it: <c>203.0.113.7</c>, <c>2001:db8::1</c>, or with a port (<c>203.0.113.7:5123</c>, <c>[2001:db8::1]:443</c>).</summary>
    private static bool TryParse(ReadOnlySpan<char> entry, out IPAddress address)
    {
        if (IPAddress.TryParse(entry, out address!) || (IPEndPoint.TryParse(entry, out var endpoint) && (address = endpoint.Address) is not null))
        {
            address = Normalize(address);
            return true;
        }

        return false;
    }
}
