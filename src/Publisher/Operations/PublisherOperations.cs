using Static.Publisher.Publishing;

namespace Static.Publisher.Operations;

/// <summary>Commands that combine steps: <c>publisher resume</c>.</summary>
public sealed class PublisherOperations(PublishStateStore state, PinState pins, SitePublisher publisher)
{
    /// <summary>Clears the rollback pin (under the lock) and publishes the current catalog in full.</summary>
    public async Task<(long? WasPinned, PublishResult Result)> ResumeAsync(IProgress<PublishProgress>? progress, CancellationToken cancellationToken)
    {
        long? pinned;
        await using (await state.AcquireLockAsync(cancellationToken).ConfigureAwait(false))
        {
            pinned = await pins.ClearAsync(cancellationToken).ConfigureAwait(false);
        }

        var result = await publisher.PublishAsync(new PublishOptions(Full: true, Trigger: "resume"), progress, cancellationToken).ConfigureAwait(false);
        return (pinned, result);
    }
}
