using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace Static.Api;

internal static class RedisServiceCollectionExtensions
{
    /// <summary>
    /// The one multiplexer of the process: FusionCache's L2 and backplane (<c>AddReadThroughCache</c>), the
    /// replica fence and the readiness probe all use it. It connects in the background: a Redis that is down
    /// never stops start-up. Its timeouts are those of the request path (README, "The Api"): a command is
    /// abandoned after 500 ms, which is FusionCache's hard timeout at the default <c>api.redisTimeout</c>.
    /// </summary>
    public static IServiceCollection AddRedis(this IServiceCollection services, string configuration, string clientName)
    {
        services.TryAddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(configuration);
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 1000;
            options.SyncTimeout = 500;
            options.AsyncTimeout = 500;
            // Named, so that CLIENT LIST shows which connections are this deployment's (tests count them).
            options.ClientName ??= clientName;
            return ConnectionMultiplexer.Connect(options);
        });
        return services;
    }
}
