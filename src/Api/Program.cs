using OpenTelemetry.Metrics;
using Static.Api;
using Static.Api.Artifacts;
using Static.Api.Health;
using Static.Api.Telemetry;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Templates;

var builder = WebApplication.CreateBuilder(args);

PublishConfig config;
StackSettings settings;
try
{
    config = PublishConfigLoader.Load(PublishConfigLoader.Locate());
    // Host configuration (command line, ASPNETCORE_/DOTNET_ variables, tests) may override the api section
    // and the connection settings: Static:Database, Static:Redis, Static:Api:L1Enabled, ...
    builder.Configuration.GetSection("Static:Api").Bind(config.Api, o => o.ErrorOnUnknownConfiguration = true);
    var stack = StackSettings.Load();
    settings = stack with
    {
        Database = builder.Configuration["Static:Database"] ?? stack.Database,
        Redis = builder.Configuration["Static:Redis"] ?? stack.Redis,
    };
    settings.RequireDatabase();
    settings.RequireRedis();
}
catch (InvalidOperationException e)
{
    await Console.Error.WriteLineAsync($"error: invalid Static:Api setting: {e.Message}").ConfigureAwait(false);
    return 2;
}
catch (ConfigException e)
{
    await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
    return 2;
}

// Over-long request lines are refused by Kestrel itself (414); no artifact path is longer than 300.
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestLineSize = 4096);
builder.Services.AddSingleton(config);
builder.Services.AddCatalogStore(settings.RequireDatabase());
builder.Services.AddRedis(settings.RequireRedis());
builder.Services.AddReadThroughCache(settings.RequireRedis(), builder.Configuration["Static:CacheName"] ?? "static");
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
builder.Services.AddOpenTelemetry().WithMetrics(m => m
    .AddMeter(ApiMetrics.MeterName)
    .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
    .AddPrometheusExporter());

var app = builder.Build();

// Migrations run before the Api answers anything (idempotent; serialised with the Publisher's by a lock);
// the templates compile now too, not on the first request.
await app.Services.GetRequiredService<MigrationRunner>().ApplyAsync(app.Lifetime.ApplicationStopping).ConfigureAwait(false);
await app.Services.GetRequiredService<RendererSource>().GetAsync().ConfigureAwait(false);

app.UseStatusCodePages();
app.MapHealthEndpoints();
app.MapOpenApi();
app.MapPrometheusScrapingEndpoint();
if (builder.Configuration.GetValue<bool>("Static:Bench:Enabled"))
{
    app.MapBenchEndpoints();
}

app.MapArtifactEndpoints();

await app.RunAsync().ConfigureAwait(false);
return 0;

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
