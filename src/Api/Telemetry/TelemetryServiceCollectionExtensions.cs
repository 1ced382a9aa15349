using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;

namespace Static.Api.Telemetry;

internal static class TelemetryServiceCollectionExtensions
{
    /// <summary>The Api's meters and the alerting gauges (refreshed in the background), exported for Prometheus at <c>/metrics</c>.</summary>
    public static IServiceCollection AddApiTelemetry(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApiMetrics>();
        services.TryAddSingleton<AlertingMetrics>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertingMetrics>());
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(ApiMetrics.MeterName, AlertingMetrics.MeterName)
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
        return services;
    }
}
