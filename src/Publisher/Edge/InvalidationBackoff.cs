namespace Static.Publisher.Edge;

/// <summary>
/// When a refused invalidation batch is sent again: exponential from <c>cdn.invalidationRetryDelay</c>, doubling
/// with each failure, capped at <c>cdn.invalidationRetryMaxDelay</c>, with "equal jitter" (half the step fixed,
/// half random) so that batches refused together (a CDN outage) do not all come back at the same instant, while
/// no retry comes sooner than half its step.
/// </summary>
public static class InvalidationBackoff
{
    /// <summary>
    /// The wait after the <paramref name="failures"/>th failed delivery (1 for the first), given
    /// <paramref name="jitter"/> in [0, 1): <c>min(cap, base * 2^(failures-1)) * (1 + jitter) / 2</c>.
    /// </summary>
    public static TimeSpan Delay(int failures, TimeSpan baseDelay, TimeSpan maxDelay, double jitter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(jitter, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(jitter, 1.0);
        var step = Math.Min(maxDelay.Ticks, baseDelay.Ticks * Math.Pow(2, Math.Min(failures - 1, 62)));
        return TimeSpan.FromTicks((long)(step * (1 + jitter) / 2));
    }
}
