using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Static.Publisher.Edge;
using Static.Publisher.Jobs;
using Static.Publisher.Operations;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Templates;

namespace Static.Publisher.Cli;

/// <summary><c>publisher run</c>: the publisher as a service (generic host + Quartz) until Ctrl-C or SIGTERM.</summary>
internal static partial class RunCommand
{
    public static Command Create(PublisherCli.CliContext context)
    {
        var command = new Command("run", "Run as a service: migrate, then a full publish on schedule.fullPublishCron, until stopped.");
        command.SetAction(async (_, cancellationToken) =>
        {
            if (await context.TryLoadAsync().ConfigureAwait(false) is not { } loaded)
            {
                return PublisherCli.ExitUsage;
            }

            // The service's own host binds publish-config.json and its STATIC_CONFIG__ overrides through the
            // options pattern and validates them (every field, the cron included) before anything runs.
            IHost host;
            try
            {
                host = Build(PublishConfigLoader.Build(loaded.ConfigPath), loaded.Stack, loaded.ConfigPath);
            }
            catch (ConfigException e)
            {
                await context.Error.WriteLineAsync($"error: {loaded.ConfigPath}: {e.Message}").ConfigureAwait(false);
                return PublisherCli.ExitUsage;
            }

            using var owned = host;
            try
            {
                host.Services.ValidatePublishConfig();
            }
            catch (ConfigException e)
            {
                await context.Error.WriteLineAsync($"error: {loaded.ConfigPath}: {e.Message}").ConfigureAwait(false);
                return PublisherCli.ExitUsage;
            }

            await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(cancellationToken).ConfigureAwait(false);
            await LogLastPublishAsync(host.Services, cancellationToken).ConfigureAwait(false);
            // Templates compile now, and a dry run walks the publish path once (bucket check, live rows,
            // planning), so the first admin change does not pay for start-up.
            await host.Services.GetRequiredService<RendererSource>().GetAsync().ConfigureAwait(false);
            await WarmUpAsync(host.Services, cancellationToken).ConfigureAwait(false);
            try
            {
                await host.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Quartz.SchedulerException or Npgsql.NpgsqlException)
            {
                // The scheduler could not start or keep its state (PostgreSQL went away while it started): say
                // so in one line and exit 1, so that a supervisor (systemd's Restart=on-failure) starts it again.
                var cause = e;
                while (cause.InnerException is not null && cause is not Npgsql.NpgsqlException)
                {
                    cause = cause.InnerException;
                }

                await context.Error.WriteLineAsync($"error: the publisher service stopped: {cause.Message} (is PostgreSQL reachable?)").ConfigureAwait(false);
                return PublisherCli.ExitFailed;
            }

            return PublisherCli.ExitOk;
        });
        return command;
    }

    /// <summary>
    /// The service's host; tests build the same one. <paramref name="configuration"/> is publish-config.json with
    /// its overrides (<see cref="PublishConfigLoader.Build"/>), bound and validated through the options pattern
    /// (<see cref="PublishConfigServiceCollectionExtensions.AddPublishConfig"/>): the services get the validated
    /// <see cref="PublishConfig"/>. The store, the CDN and the schedule are chosen from the same configuration
    /// while registering; a bad value there is a <see cref="ConfigException"/> naming the field.
    /// </summary>
    public static IHost Build(IConfiguration configuration, StackSettings stack, string configPath, Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var config = new PublishConfig();
        PublishConfigBinding.Bind(configuration, config);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).AddFilter("Npgsql", LogLevel.Warning).AddFilter("Quartz", LogLevel.Warning);
        configure?.Invoke(builder.Services);
        builder.Services
            .AddPublishConfig(configuration)
            .AddCatalogStore(stack.RequireDatabase())
            .AddObjectStore(config, stack, Path.GetDirectoryName(Path.GetFullPath(configPath))!)
            .AddCdnInvalidation(config, stack)
            .AddPublishing(new RendererSource(ArtifactRenderer.CreateAsync))
            .AddPublisherSchedule(config, stack.RequireDatabase());
        // Graceful shutdown waits for a running publish (WaitForJobsToComplete) up to this long.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(5));
        return builder.Build();
    }

    private static async Task WarmUpAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Static.Publisher.Service");
        try
        {
            var dry = await services.GetRequiredService<SitePublisher>().PublishAsync(new PublishOptions(DryRun: true, Trigger: "warm-up"), null, cancellationToken).ConfigureAwait(false);
            LogWarm(logger, dry.Elapsed.TotalMilliseconds, dry.Rendered);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The service still starts: the drain and the schedule report their own failures.
            LogWarmFailed(logger, e.Message);
        }
    }

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "Warm-up dry run in {Milliseconds:0} ms ({Rendered} artifact(s) would be rendered now)")]
    private static partial void LogWarm(ILogger logger, double milliseconds, int rendered);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Warm-up dry run failed: {Reason}")]
    private static partial void LogWarmFailed(ILogger logger, string reason);

    private static async Task LogLastPublishAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Static.Publisher.Service");
        var history = await services.GetRequiredService<VersionHistory>().ListAsync(1, cancellationToken).ConfigureAwait(false);
        var last = history.Count > 0 ? history[0] : null;
        var pin = await services.GetRequiredService<PinState>().GetAsync(cancellationToken).ConfigureAwait(false);
        var config = services.GetRequiredService<PublishConfig>();
        if (last is null)
        {
            LogNoPublish(logger, config.Schedule.FullPublishCron);
        }
        else
        {
            LogLast(logger, last.Version, last.State, (DateTimeOffset.UtcNow - (last.FinishedAt ?? last.StartedAt)).TotalMinutes, config.Schedule.FullPublishCron);
        }

        if (pin is { } p)
        {
            LogPinned(logger, p.Version);
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Publisher service started; no publish yet; full publish on '{Cron}'")]
    private static partial void LogNoPublish(ILogger logger, string cron);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Publisher service started; last run {Version} {State} {Minutes:0} minutes ago; full publish on '{Cron}'")]
    private static partial void LogLast(ILogger logger, long version, string state, double minutes, string cron);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Publishing is paused: version {Version} is pinned by a rollback; scheduled publishes are skipped until 'publisher resume'")]
    private static partial void LogPinned(ILogger logger, long version);
}
