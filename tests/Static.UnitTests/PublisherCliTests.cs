using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Static.Publisher.Cli;
using Static.Shared.Configuration;

namespace Static.UnitTests;

/// <summary>Argument errors are caught before any server is touched: no database is configured here.</summary>
public sealed class PublisherCliTests
{
    private static readonly StackSettings NoServers = StackSettings.Load(_ => null, stackEnvPath: null);

    [Theory]
    [InlineData("--products", "-5", "between 1 and 1000000")]
    [InlineData("--products", "abc", "whole number")]
    [InlineData("--products", "0", "between 1 and 1000000")]
    [InlineData("--categories", "0", "between 1 and 10000")]
    [InlineData("--seed", "x", "x")]
    public async Task Bad_seed_arguments_print_a_clear_error_and_exit_2(string option, string value, string expected)
    {
        var error = new StringWriter();
        var code = await PublisherCli.RunAsync(["seed", option, value], TextWriter.Null, error, NoServers);
        Assert.Equal(PublisherCli.ExitUsage, code);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
        Assert.Contains(option, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Contradictory_flags_exit_2()
    {
        var error = new StringWriter();
        Assert.Equal(PublisherCli.ExitUsage, await PublisherCli.RunAsync(["seed", "--replace", "--if-empty"], TextWriter.Null, error, NoServers));
        Assert.Contains("contradict", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_command_exits_2() =>
        Assert.Equal(PublisherCli.ExitUsage, await PublisherCli.RunAsync(["publsh"], TextWriter.Null, new StringWriter(), NoServers));

    [Fact]
    public async Task A_missing_database_setting_says_how_to_get_one()
    {
        var error = new StringWriter();
        var config = Path.Combine(PublishConfigLoaderTests.FindRoot(), "publish-config.json");
        Assert.Equal(PublisherCli.ExitUsage, await PublisherCli.RunAsync(["migrate"], TextWriter.Null, error, NoServers, config));
        Assert.Contains("STATIC_DATABASE", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("scripts/stack.sh up", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_config_stops_a_command_naming_the_field()
    {
        var dir = Directory.CreateTempSubdirectory("static-cli-").FullName;
        try
        {
            var path = Path.Combine(dir, "publish-config.json");
            await File.WriteAllTextAsync(path, """{ "seed": { "productz": 5 } }""");
            var error = new StringWriter();
            var settings = NoServers with { Database = "Host=127.0.0.1;Port=1" };
            Assert.Equal(PublisherCli.ExitUsage, await PublisherCli.RunAsync(["seed"], TextWriter.Null, error, settings, path));
            Assert.Contains("seed.productz", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary><c>publisher run</c>'s host: publish-config.json and its overrides through the options pattern, validated on start.</summary>
public sealed class RunHostOptionsTests
{
    private static readonly StackSettings OfflineDatabase = StackSettings.Load(_ => null, stackEnvPath: null) with
    {
        Database = "Host=127.0.0.1;Port=1;Database=none",
    };

    [Theory]
    [InlineData("catalog:listingPageSize", "0", "catalog.listingPageSize")]
    [InlineData("api:l1Duration", "02:00:00", "api.l1Duration")]
    [InlineData("schedule:fullPublishCron", "every hour", "schedule.fullPublishCron")]
    [InlineData("cors:allowedOrigins:0", "shop.example/path", "cors.allowedOrigins")]
    [InlineData("cors:allowedOrigins:0", "https://shop.example/path", "cors.allowedOrigins")]
    public void An_override_that_breaks_a_rule_stops_the_service_host_naming_the_field(string key, string value, string field)
    {
        var error = Assert.Throws<ConfigException>(() =>
        {
            using var host = RunCommand.Build(Layered(key, value), OfflineDatabase, ConfigPath);
            host.Services.ValidatePublishConfig();
        });
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_services_get_the_bound_and_validated_config_with_its_overrides()
    {
        using var host = RunCommand.Build(Layered("catalog:listingPageSize", "17"), OfflineDatabase, ConfigPath);
        host.Services.ValidatePublishConfig();
        Assert.Equal(17, host.Services.GetRequiredService<PublishConfig>().Catalog.ListingPageSize);
    }

    private static string ConfigPath => Path.Combine(PublishConfigLoaderTests.FindRoot(), "publish-config.json");

    private static IConfiguration Layered(string key, string value) =>
        new ConfigurationBuilder()
            .AddConfiguration(PublishConfigLoader.Build(ConfigPath, new System.Collections.Hashtable()))
            .AddInMemoryCollection(new Dictionary<string, string?> { [key] = value })
            .Build();
}
