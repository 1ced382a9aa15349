using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Static.Publisher.Cli;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Templates;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>
/// The publisher wired as the CLI wires it, against a test's own database and bucket, with an optional
/// wrapper around the real S3 store. Templates are compiled once per test run.
/// </summary>
public sealed class PublisherHarness : IAsyncDisposable
{
    private static readonly Lazy<Task<ArtifactRenderer>> SharedRenderer = new(ArtifactRenderer.CreateAsync);
    private readonly ServiceProvider provider;

    private PublisherHarness(ServiceProvider provider, S3ObjectStore s3)
    {
        this.provider = provider;
        S3 = s3;
    }

    public static string ConfigPath => Path.Combine(StackServers.RepositoryRoot, "publish-config.json");

    public S3ObjectStore S3 { get; }

    public SitePublisher Publisher => provider.GetRequiredService<SitePublisher>();

    public PublishConfig Config => provider.GetRequiredService<PublishConfig>();

    public IServiceProvider Services => provider;

    public static Task<ArtifactRenderer> RendererAsync() => SharedRenderer.Value;

    public static StackSettings Settings(IsolatedServers servers) =>
        StackServers.Settings with { Database = servers.Database.ConnectionString, S3Bucket = servers.Bucket.Name };

    public static async Task<PublisherHarness> CreateAsync(IsolatedServers servers, Func<IObjectStore, IObjectStore>? wrap = null, Action<PublishConfig>? configure = null,
        Static.Publisher.Edge.ICdnInvalidator? cdn = null)
    {
        var config = PublishConfigLoader.Load(ConfigPath, new System.Collections.Hashtable());
        configure?.Invoke(config);
        var settings = Settings(servers);
        var s3 = new S3ObjectStore(settings.S3ServiceUrl, servers.Bucket.Name, settings.S3AccessKey, settings.S3SecretKey);
        var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton(config)
            .AddCatalogStore(servers.Database.ConnectionString)
            .AddSingleton(wrap is null ? s3 : wrap(s3))
            .AddSingleton(cdn ?? new Static.Publisher.Edge.NoCdnInvalidator())
            .AddPublishing(new RendererSource(await SharedRenderer.Value));
        return new PublisherHarness(services.BuildServiceProvider(), s3);
    }

    /// <summary>Seeds the test database through the real CLI.</summary>
    public static async Task SeedAsync(IsolatedServers servers, int products, int categories = 8, int seed = 11)
    {
        var error = new StringWriter();
        var code = await PublisherCli.RunAsync(
            ["seed", "--products", products.ToString(System.Globalization.CultureInfo.InvariantCulture), "--categories", categories.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--replace"],
            TextWriter.Null, error, Settings(servers), ConfigPath);
        Assert.True(code == 0, error.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        S3.Dispose();
        await provider.DisposeAsync();
    }
}
