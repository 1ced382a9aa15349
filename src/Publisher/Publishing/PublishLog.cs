using Microsoft.Extensions.Logging;

namespace Static.Publisher.Publishing;

/// <summary>The publish run's log events (logged under <see cref="SitePublisher"/>'s category).</summary>
internal static partial class PublishLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "Published run {Run}: live version {Version}, {Artifacts} artifacts, {Uploaded} uploaded, {Unchanged} unchanged, {Deleted} deleted in {Seconds:0.00} s")]
    public static partial void Published(ILogger logger, long run, long version, int artifacts, int uploaded, int unchanged, int deleted, double seconds);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Publish run {Run} failed; the live version is unchanged")]
    public static partial void Failed(ILogger logger, long run, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Run {Run} is live, but delivering invalidations failed; they stay owed for the next run")]
    public static partial void DeliveryFailed(ILogger logger, long run, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "The store's manifest root did not match live version {Version}; re-uploaded it")]
    public static partial void RootRepaired(ILogger logger, long version);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information,
        Message = "Uploaded {Variants} image variants of {Sources} sources ({KiB} KiB) in {Seconds:0.00} s")]
    public static partial void ImageVariants(ILogger logger, int variants, int sources, long kiB, double seconds);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning,
        Message = "Full publish's sample check: {Checked} of {Total} live objects checked, {Missing} missing, {Wrong} wrong; {Repaired} repaired, {Unrepaired} not repaired (run 'publisher verify')")]
    public static partial void SampleRepaired(ILogger logger, int @checked, int total, int missing, int wrong, int repaired, int unrepaired);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Full publish's sample check of live objects failed; the publish itself succeeded")]
    public static partial void SampleFailed(ILogger logger, Exception exception);
}
