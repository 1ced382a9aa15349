using StackExchange.Redis;

namespace Static.Api;

internal static class RedisServiceCollectionExtensions
{
    /// <summary>One multiplexer per process. It connects in the background: a Redis that is down never stops start-up.</summary>
    public static IServiceCollection AddRedis(this IServiceCollection services, string configuration)
    {
        services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(configuration);
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 2000;
            options.SyncTimeout = 1000;
            options.AsyncTimeout = 1000;
            return ConnectionMultiplexer.Connect(options);
        });
        return services;
    }
}
