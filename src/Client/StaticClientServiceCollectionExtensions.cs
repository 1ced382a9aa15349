using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Static.Client;

/// <summary>Registers <see cref="StaticClient"/> with <see cref="IHttpClientFactory"/> and the standard resilience handler.</summary>
public static class StaticClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="StaticClient"/>, its options (validated when the host starts, each problem
    /// naming its field) and two named HTTP clients, <see cref="StaticClient.CdnClientName"/> and
    /// <see cref="StaticClient.ApiClientName"/>, each with <c>AddStandardResilienceHandler</c> tuned to fail over
    /// fast: the CDN gets one retry after 100 ms, <see cref="StaticClientOptions.CdnAttemptTimeout"/> per attempt
    /// (2 s by default) and a circuit breaker that opens after half of at least 4 requests failed within the
    /// sampling window, for 5 s; the Api, the last resort, two retries and
    /// <see cref="StaticClientOptions.ApiAttemptTimeout"/> (5 s) per attempt. Add handlers to those names to
    /// observe or change them.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets <see cref="StaticClientOptions.CdnBaseUrl"/>, <see cref="StaticClientOptions.ApiBaseUrl"/> and the rest.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddStaticClient(this IServiceCollection services, Action<StaticClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<StaticClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StaticClientOptions>, StaticClientOptionsValidator>());
        services.AddHttpClient(StaticClient.CdnClientName)
            .AddStandardResilienceHandler()
            .Configure((resilience, provider) => Tune(resilience, provider.GetRequiredService<IOptions<StaticClientOptions>>().Value.CdnAttemptTimeout, retries: 1));
        services.AddHttpClient(StaticClient.ApiClientName)
            .AddStandardResilienceHandler()
            .Configure((resilience, provider) => Tune(resilience, provider.GetRequiredService<IOptions<StaticClientOptions>>().Value.ApiAttemptTimeout, retries: 2));
        services.TryAddSingleton(provider => new StaticClient(
            provider.GetRequiredService<IHttpClientFactory>(),
            provider.GetRequiredService<IOptions<StaticClientOptions>>(),
            provider.GetService<TimeProvider>()));
        return services;
    }

    /// <summary>
    /// Short attempts, few retries, a bounded total: the defaults (10 s attempts, 3 retries from 2 s, 30 s in
    /// all) would keep a reader waiting half a minute on a dead CDN before the Api is asked.
    /// </summary>
    internal static void Tune(HttpStandardResilienceOptions resilience, TimeSpan attempt, int retries)
    {
        resilience.AttemptTimeout.Timeout = attempt;
        resilience.Retry.MaxRetryAttempts = retries;
        resilience.Retry.Delay = TimeSpan.FromMilliseconds(100);
        resilience.Retry.BackoffType = Polly.DelayBackoffType.Exponential;
        resilience.Retry.UseJitter = true;
        resilience.TotalRequestTimeout.Timeout = (attempt * (retries + 1)) + TimeSpan.FromSeconds(1);
        // The breaker's window must be at least twice an attempt (the handler validates it).
        resilience.CircuitBreaker.SamplingDuration = attempt * 2 > TimeSpan.FromSeconds(10) ? attempt * 2 : TimeSpan.FromSeconds(10);
        resilience.CircuitBreaker.MinimumThroughput = 4;
        resilience.CircuitBreaker.FailureRatio = 0.5;
        resilience.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(5);
    }
}
