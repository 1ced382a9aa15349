using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Quartz;
using Static.Shared.Configuration;
using Static.Shared.Outbox;

namespace Static.Publisher.Jobs;

/// <summary>
/// The Quartz job that drains the outbox. <see cref="DisallowConcurrentExecutionAttribute"/> on a clustered
/// job store means one drain at a time across every publisher instance; the publisher's advisory lock
/// backs that up for any other publish.
/// </summary>
[DisallowConcurrentExecution]
public sealed class OutboxDrainJob(OutboxDrainer drainer) : IJob
{
    public static readonly JobKey Key = new("outbox-drain", "static");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await drainer.DrainAsync(cancellationToken).ConfigureAwait(false);
}

/// <summary>
/// Wakes the drain: LISTEN static_outbox (the admin API NOTIFYs on commit), and a poll every
/// <c>outbox.pollInterval</c> for pending rows, so a lost notification (or a drain that failed) only
/// delays. Triggers at most once per debounce window (a notification inside it is owed and triggers when the
/// window ends); the drain itself loops until the outbox is empty.
/// </summary>
public sealed partial class OutboxListener(
    NpgsqlDataSource dataSource, OutboxStore outbox, [FromKeyedServices(PublisherScheduling.SchedulerName)] ISchedulerFactory schedulers, PublishConfig config, TimeProvider time, ILogger<OutboxListener> logger)
    : BackgroundService
{
    private DateTimeOffset lastTrigger = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                await OutboxStore.ListenAsync(connection, stoppingToken).ConfigureAwait(false);

                await PollAsync(stoppingToken).ConfigureAwait(false);   // changes made while nobody listened
                DateTimeOffset? owed = null;   // a notification that came within the window of the last trigger
                while (!stoppingToken.IsCancellationRequested)
                {
                    var timeout = owed is { } due ? Max(due - time.GetUtcNow(), TimeSpan.FromMilliseconds(1)) : config.Outbox.PollInterval;
                    var woke = await connection.WaitAsync(timeout, stoppingToken).ConfigureAwait(false);
                    var now = time.GetUtcNow();
                    if (woke && now - lastTrigger < config.Outbox.Debounce)
                    {
                        owed ??= lastTrigger + config.Outbox.Debounce;
                    }
                    else if (woke || owed is { } due2 && now >= due2)
                    {
                        owed = null;
                        await TriggerAsync(stoppingToken).ConfigureAwait(false);
                    }
                    else if (owed is null)
                    {
                        await PollAsync(stoppingToken).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogListenFailed(logger, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        if (await outbox.AnyPendingAsync(cancellationToken).ConfigureAwait(false))
        {
            await TriggerAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task TriggerAsync(CancellationToken cancellationToken)
    {
        lastTrigger = time.GetUtcNow();
        var scheduler = await schedulers.GetScheduler(cancellationToken).ConfigureAwait(false);
        await scheduler.TriggerJob(OutboxDrainJob.Key, cancellationToken).ConfigureAwait(false);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(EventId = 4210, Level = LogLevel.Warning, Message = "Outbox listener: {Reason}; reconnecting in 1 s (pending changes are polled meanwhile)")]
    private static partial void LogListenFailed(ILogger logger, string reason);
}
