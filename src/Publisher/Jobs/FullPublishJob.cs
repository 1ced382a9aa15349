using Microsoft.Extensions.Logging;
using Quartz;
using Static.Publisher.Operations;
using Static.Publisher.Publishing;

namespace Static.Publisher.Jobs;

/// <summary>
/// The scheduled full publish (the safety net behind incremental publishes). Thin: it calls the publisher
/// with the job's cancellation token and records the outcome. Never two at once in this process; the
/// advisory lock keeps other processes out too.
/// </summary>
[DisallowConcurrentExecution]
public sealed partial class FullPublishJob(SitePublisher publisher, PublishHealth health, ILogger<FullPublishJob> logger) : IJob
{
    public static readonly JobKey Key = new("full-publish", "static");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One scheduled run: publishes, or logs why it did not. Never throws but for cancellation.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await publisher.PublishAsync(new PublishOptions(Full: true, Trigger: "schedule"), null, cancellationToken).ConfigureAwait(false);
            health.Record("succeeded", result);
            LogScheduled(logger, result.Run ?? 0, result.Version ?? 0, result.Uploaded, result.Elapsed.TotalSeconds);
        }
        catch (PublishPausedException e)
        {
            health.Record("paused", null);
            LogPaused(logger, e.Version);
        }
        catch (PublishBusyException e)
        {
            health.Record("busy", null);
            LogBusy(logger, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            health.Record("failed", null);
            LogFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Scheduled full publish: run {Run}, live version {Version}, {Uploaded} uploaded in {Seconds:0.00} s")]
    private static partial void LogScheduled(ILogger logger, long run, long version, int uploaded, double seconds);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Scheduled publish skipped: version {Version} is pinned by a rollback; run 'publisher resume' to publish again")]
    private static partial void LogPaused(ILogger logger, long version);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Scheduled publish skipped: {Reason}")]
    private static partial void LogBusy(ILogger logger, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "Scheduled publish failed; the live version is unchanged")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
