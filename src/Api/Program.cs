using Static.Api;
using Static.Api.Admin;
using Static.Api.Artifacts;
using Static.Api.Database;
using Static.Api.Health;
using Static.Api.RateLimiting;
using Static.Api.Telemetry;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Templates;

// The shipped appsettings.json (production logging) lives beside the program. ASP.NET Core looks for it in the
// working folder; started from anywhere else (a checkout's root, as ./run.sh and the benchmarks do), the Api
// reads it from its own folder instead of running without it and logging every request.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = File.Exists(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json")) ? null : AppContext.BaseDirectory,
});

IConfiguration publishConfiguration;
StackSettings settings;
string readDatabase;
AdminTokens adminTokens;
ManagementPort management;
try
{
    // Host configuration (command line, ASPNETCORE_/DOTNET_ variables, tests) may override the api section
    // (Static:Api:L1Enabled, ...: validated with the file) and the connection settings: Static:Database, Static:Redis.
    publishConfiguration = PublishConfiguration.ForApi(builder.Configuration);
    var stack = StackSettings.Load();
    settings = stack with
    {
        Database = builder.Configuration["Static:Database"] ?? stack.Database,
        Redis = builder.Configuration["Static:Redis"] ?? stack.Redis,
    };
    settings.RequireDatabase();
    settings.RequireRedis();
    // Reads (cache misses) may go to a replica; admin writes and migrations always go to the primary.
    // STATIC_DATABASE_READ goes with STATIC_DATABASE: a host that names its own database (Static:Database)
    // reads from it unless it names a read database too.
    readDatabase = builder.Configuration["Static:ReadDatabase"]
        ?? (builder.Configuration["Static:Database"] is null ? Environment.GetEnvironmentVariable("STATIC_DATABASE_READ") : null)
        ?? settings.RequireDatabase();
    adminTokens = AdminTokens.FromConfiguration(builder.Configuration);
    management = ManagementPort.FromConfiguration(builder.Configuration);
    // The public URLs and, beside them, the management port (health, metrics, OpenAPI; loopback by default).
    builder.WebHost.UseUrls(management.ListenUrls(builder.Configuration));
}
catch (Exception e) when (e is ConfigException or InvalidOperationException)
{
    await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
    return 2;
}

var cacheName = builder.Configuration["Static:CacheName"] ?? "static";
// Over-long request lines are refused by Kestrel itself (414); no artifact path is longer than 300.
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestLineSize = 4096);
builder.Services.AddPublishConfig(publishConfiguration);
builder.Services.AddDatabases(readDatabase, settings.RequireDatabase());
builder.Services.AddRedis(settings.RequireRedis(), clientName: "static-api:" + cacheName);
builder.Services.AddReadThroughCache(cacheName);
builder.Services.AddAdmin(adminTokens);
builder.Services.AddApiRateLimiting();
builder.Services.AddApiTelemetry();
builder.Services.AddReadCors();
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();

var app = builder.Build();

try
{
    // What the host validates when it starts, now: a bad setting stops the Api before it migrates anything.
    app.Services.ValidatePublishConfig();
}
catch (Exception e) when (e is ConfigException or InvalidOperationException)
{
    // Named like the CLI names it: the file (its overrides and Static:Api:* included), then the field.
    await Console.Error.WriteLineAsync($"error: {PublishConfigLoader.Locate()}: {e.Message}").ConfigureAwait(false);
    return 2;
}

// Migrations run before the Api answers anything (idempotent; serialised with the Publisher's by a lock);
// the templates compile now too, not on the first request.
await new MigrationRunner(app.Services.GetRequiredService<PrimaryDatabase>().DataSource, app.Services.GetRequiredService<ILogger<MigrationRunner>>())
    .ApplyAsync(app.Lifetime.ApplicationStopping).ConfigureAwait(false);
if (adminTokens.Count == 0)
{
    Log.NoAdminTokens(app.Logger);
}

await app.Services.GetRequiredService<RendererSource>().GetAsync().ConfigureAwait(false);

app.UseStatusCodePages();
app.UseManagementPort(management);
app.UsePageSecurityHeaders(app.Services.GetRequiredService<PublishConfig>());
app.UseCors();
// Only /admin has a credential to check: the read paths (the CDN's fallback, the hot path) skip the
// authentication handler, which would otherwise run on every request as the default scheme.
app.UseWhen(IsAdmin, admin => admin.UseAuthentication());
app.UseRateLimiter();
app.UseWhen(IsAdmin, admin => admin.UseAuthorization());
// WebApplication adds both middlewares to the whole pipeline unless the app's builder says they are there (the
// keys UseAuthentication/UseAuthorization set; a UseWhen branch sets them on a copy). Should the keys change,
// the result is the old cost, not an open door: an endpoint that requires authorization and is reached without
// the middleware fails with 500.
((IApplicationBuilder)app).Properties["__AuthenticationMiddlewareSet"] = true;
((IApplicationBuilder)app).Properties["__AuthorizationMiddlewareSet"] = true;
app.MapManagementEndpoints();
if (builder.Configuration.GetValue<bool>("Static:Bench:Enabled"))
{
    app.MapBenchEndpoints();
}

app.MapAdminEndpoints();
app.MapArtifactEndpoints();

await app.RunAsync().ConfigureAwait(false);
return 0;

static bool IsAdmin(HttpContext context) => context.Request.Path.StartsWithSegments("/admin", StringComparison.OrdinalIgnoreCase);

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
