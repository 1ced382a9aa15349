using Static.Api.Artifacts;
using ZiggyCreatures.Caching.Fusion;

namespace Static.Api.Admin;

/// <summary>
/// After a commit: evicts the Api's cached answers that depended on the changed keys, on every instance, and
/// again <see cref="SecondEvictionDelay"/> later (a miss on another instance that read the old row just
/// before the commit could otherwise put it back). Never fails the request: the change is committed and
/// will be published whatever happens here; a failure is logged and the entries expire on their own.
/// </summary>
public sealed partial class AdminCacheEviction(ArtifactCache artifacts, IFusionCache cache, ReplicaFence fence, TimeProvider time, ILogger<AdminCacheEviction> logger)
{
    public static readonly TimeSpan SecondEvictionDelay = TimeSpan.FromSeconds(1);

    public async Task AfterCommitAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return;
        }

        // Not the request's token: a client that hangs up after the commit must not cancel the eviction.
        await EvictAsync(keys, raiseFence: true).ConfigureAwait(false);
        // The timer starts now, on the injected clock (tests advance a fake one past the delay).
        _ = EvictAgainAsync(Task.Delay(SecondEvictionDelay, time, CancellationToken.None), keys);
    }

    private async Task EvictAgainAsync(Task delay, IReadOnlyList<string> keys)
    {
        await delay.ConfigureAwait(false);
        await EvictAsync(keys, raiseFence: false).ConfigureAwait(false);
    }

    private async Task EvictAsync(IReadOnlyList<string> keys, bool raiseFence)
    {
        try
        {
            // First the fence (reads racing this eviction go to the primary until the replica has the
            // write), then the eviction itself.
            if (raiseFence)
            {
                await fence.RaiseAsync(CancellationToken.None).ConfigureAwait(false);
            }

            foreach (var key in keys)
            {
                if (key.StartsWith("stock:", StringComparison.Ordinal))
                {
                    await cache.RemoveByTagAsync(key, token: CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    await artifacts.EvictKeyAsync(key, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e)
        {
            LogEvictionFailed(logger, string.Join(' ', keys), e);
        }
    }

    [LoggerMessage(EventId = 5030, Level = LogLevel.Error, Message = "After a committed admin write, evicting {Keys} failed; cached answers expire on their own")]
    private static partial void LogEvictionFailed(ILogger logger, string keys, Exception exception);
}
