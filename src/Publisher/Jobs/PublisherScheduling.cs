using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Static.Shared.Configuration;

namespace Static.Publisher.Jobs;

public static class PublisherScheduling
{
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

    /// <summary>Quartz in memory with the full-publish job on its cron; the host waits for a running job on shutdown.</summary>
    public static IServiceCollection AddPublisherSchedule(this IServiceCollection services, PublishConfig config)
    {
        Validate(config);
        services.AddQuartz("static-publisher", q =>
        {
            q.AddJob<FullPublishJob>(j => j.WithIdentity(FullPublishJob.Key).WithDescription("Full publish: the safety net behind incremental publishes"));
            q.AddTrigger(t => t.ForJob(FullPublishJob.Key).WithIdentity("full-publish-cron", "static").WithCronSchedule(config.Schedule.FullPublishCron));
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return services;
    }
}
