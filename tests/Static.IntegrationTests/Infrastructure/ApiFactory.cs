using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Static.Api.Artifacts;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>
/// The Api in process on a test's own database, with a cache name of its own (its Redis keys and its
/// backplane channel), so instances of one test share L2 and evictions and no other test sees them.
/// </summary>
public sealed class ApiFactory(string database, string cacheName, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<ArtifactCache>
{
    public string CacheName => cacheName;

    public string Redis { get; init; } = StackServers.Require(StackServers.Settings.Redis, "STATIC_REDIS");

    /// <summary>The management port the host is configured with (its default unless the test sets Static:Management:Url).</summary>
    public int ManagementPort => new Uri(settings?.GetValueOrDefault("Static:Management:Url") ?? "http://127.0.0.1:56090").Port;

    /// <summary>
    /// A client whose requests arrive as on the management port (/healthz, /readyz, /metrics, /openapi/v1.json): the
    /// in-memory server has no ports, so the connection's local port is set as Kestrel would set it.
    /// </summary>
    public HttpClient CreateManagementClient()
    {
        var port = ManagementPort;
        return new HttpClient(Server.CreateHandler(context => context.Connection.LocalPort = port)) { BaseAddress = new Uri("http://localhost") };
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseSetting("Static:Database", database);
        builder.UseSetting("Static:Redis", Redis);
        builder.UseSetting("Static:CacheName", cacheName);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }
}
