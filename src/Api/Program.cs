using Static.Api;
using Static.Api.Health;
using Static.Shared.Catalog;
using Static.Shared.Configuration;

var builder = WebApplication.CreateBuilder(args);

PublishConfig config;
StackSettings settings;
try
{
    config = PublishConfigLoader.Load(PublishConfigLoader.Locate());
    settings = StackSettings.Load();
    settings.RequireDatabase();
    settings.RequireRedis();
}
catch (ConfigException e)
{
    await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
    return 2;
}

builder.Services.AddSingleton(config);
builder.Services.AddCatalogStore(settings.RequireDatabase());
builder.Services.AddRedis(settings.RequireRedis());

var app = builder.Build();

// Migrations run before the Api answers anything (idempotent; serialised with the Publisher's by a lock).
await app.Services.GetRequiredService<MigrationRunner>().ApplyAsync(app.Lifetime.ApplicationStopping).ConfigureAwait(false);

app.MapHealthEndpoints();

await app.RunAsync().ConfigureAwait(false);
return 0;

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
