using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Quartz;
using Static.Shared.Configuration;

namespace Static.Publisher.Jobs;

public static class PublisherScheduling
{
    /// <summary>The scheduler's name: its services' DI key, and SCHED_NAME in the qrtz_ tables every instance shares.</summary>
    public const string SchedulerName = "static-publisher";

    /// <summary>Checks <c>schedule.fullPublishCron</c>; a bad expression stops start-up naming the field.</summary>
    public static void Validate(PublishConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!CronExpression.TryParse(config.Schedule.FullPublishCron, out _))
        {
            throw new ConfigException(
                $"schedule.fullPublishCron: '{config.Schedule.FullPublishCron}' is not a valid Quartz cron expression (seconds first, e.g. \"0 0 * * * ?\" for hourly).");
        }
    }

    /// <summary>
    /// Quartz clustered on PostgreSQL's job store (the qrtz_ tables come from migration 0007): every
    /// <c>publisher run</c> on one database joins one scheduler, so the full-publish cron and the outbox drain
    /// run once across all of them, never two at once, and a killed instance's work is taken over after
    /// about two check-in intervals. The host waits for a running job on shutdown.
    /// </summary>
    public static IServiceCollection AddPublisherSchedule(this IServiceCollection services, PublishConfig config, string connectionString)
    {
        Validate(config);
        // The host's options validation checks the cron too, with every other field, on start.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PublishConfig>, ScheduleValidator>());
        services.AddQuartz(SchedulerName, q =>
        {
            q.UseDefaultThreadPool(maxConcurrency: 2);
            q.UsePersistentStore(store =>
            {
                store.UsePostgres(connectionString);
                store.UseSystemTextJsonSerializer();
                store.UseClustering(c =>
                {
                    c.CheckinInterval = config.Outbox.ClusterCheckinInterval;
                    c.CheckinMisfireThreshold = config.Outbox.ClusterCheckinInterval;
                });
            });
            q.AddJob<FullPublishJob>(j => j.WithIdentity(FullPublishJob.Key).WithDescription("Full publish: the safety net behind incremental publishes"));
            q.AddTrigger(t => t.ForJob(FullPublishJob.Key).WithIdentity("full-publish-cron", "static").WithCronSchedule(config.Schedule.FullPublishCron));
            q.AddJob<OutboxDrainJob>(j => j.WithIdentity(OutboxDrainJob.Key).StoreDurably().RequestRecovery()
                .WithDescription("Drains the admin outbox into incremental publishes (triggered by OutboxListener)"));
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddSingleton<OutboxDrainer>();
        services.AddHostedService<OutboxListener>();
        return services;
    }

    /// <summary><see cref="Validate"/> as an options validator, so <c>publisher run</c>'s host checks it on start.</summary>
    private sealed class ScheduleValidator : IValidateOptions<PublishConfig>
    {
        public ValidateOptionsResult Validate(string? name, PublishConfig options)
        {
            try
            {
                PublisherScheduling.Validate(options);
                return ValidateOptionsResult.Success;
            }
            catch (ConfigException e)
            {
                return ValidateOptionsResult.Fail(e.Message);
            }
        }
    }
}
