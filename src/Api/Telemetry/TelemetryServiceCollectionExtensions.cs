using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;

namespace Static.Api.Telemetry;

internal static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// The Api's meters, the alerting gauges (refreshed in the background) and ASP.NET Core's own, exported
    /// for Prometheus at <c>/metrics</c>. Only this host's meters are exported: .NET meters are process-wide
    /// and an OpenTelemetry MeterProvider subscribes by meter name, so a second host in the same process
    /// (every integration test run has several) would otherwise add its gauges to this one's scrape, and a
    /// gauge with the same name and tags shows whichever host's callback ran last. Meters made by this
    /// host's <see cref="IMeterFactory"/> carry it as their scope; meters made without a factory (scope
    /// null) are process-wide by design and kept.
    /// </summary>
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
        services.ConfigureOpenTelemetryMeterProvider((sp, metrics) =>
        {
            var own = sp.GetRequiredService<IMeterFactory>();
            metrics.AddView(instrument => instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, own) ? null : MetricStreamConfiguration.Drop);
        });
        return services;
    }
}
