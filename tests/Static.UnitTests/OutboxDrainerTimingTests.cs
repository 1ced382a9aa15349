using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Static.Publisher.Jobs;
using Static.Publisher.Publishing;

namespace Static.UnitTests;

/// <summary>The drainer's waits on a fake clock: the busy-publisher retry and the rest of the debounce window.</summary>
public sealed class OutboxDrainerTimingTests
{
    // Only a guard against a hang if a wait were never scheduled; no assertion depends on real time.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_busy_publisher_is_retried_every_200_ms_until_it_is_free()
    {
        var time = new ObservedTimeProvider();
        var pipeline = OutboxDrainer.CreateBusyRetry(time);
        var attempts = 0;
        var run = pipeline.ExecuteAsync(_ => ++attempts < 4 ? throw new PublishBusyException("busy") : ValueTask.FromResult(42), CancellationToken.None).AsTask();

        for (var attempt = 1; attempt < 4; attempt++)
        {
            await time.NextTimerAsync(Guard);
            Assert.Equal(attempt, attempts);
            time.Advance(OutboxDrainer.BusyRetryDelay - TimeSpan.FromMilliseconds(1));
            Assert.Equal(attempt, attempts);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(42, await run.WaitAsync(Guard));
        Assert.Equal(4, attempts);
        Assert.Equal(3 * OutboxDrainer.BusyRetryDelay, time.Elapsed);
    }

    [Fact]
    public async Task A_publisher_busy_for_600_attempts_fails_with_the_busy_error_after_two_minutes()
    {
        var time = new ObservedTimeProvider();
        var pipeline = OutboxDrainer.CreateBusyRetry(time);
        var attempts = 0;
        var run = pipeline.ExecuteAsync<int>(_ => throw new PublishBusyException($"busy {++attempts}"), CancellationToken.None).AsTask();

        for (var retry = 1; retry < OutboxDrainer.BusyAttempts; retry++)
        {
            await time.NextTimerAsync(Guard);
            time.Advance(OutboxDrainer.BusyRetryDelay);
        }

        var error = await Assert.ThrowsAsync<PublishBusyException>(() => run.WaitAsync(Guard));
        Assert.Equal("busy 600", error.Message);
        Assert.Equal(600, OutboxDrainer.BusyAttempts);
        Assert.Equal(OutboxDrainer.BusyAttempts, attempts);
        Assert.Equal(TimeSpan.FromMilliseconds(599 * 200), time.Elapsed);
        Assert.Equal(OutboxDrainer.BusyAttempts - 1, time.TimersCreated);
    }

    [Fact]
    public async Task Any_other_failure_is_not_retried()
    {
        var time = new ObservedTimeProvider();
        var pipeline = OutboxDrainer.CreateBusyRetry(time);
        var attempts = 0;
        var run = pipeline.ExecuteAsync<int>(_ => { attempts++; throw new InvalidOperationException("render failed"); }, CancellationToken.None).AsTask();

        await Assert.ThrowsAsync<InvalidOperationException>(() => run.WaitAsync(Guard));
        Assert.Equal(1, attempts);
        Assert.Equal(0, time.TimersCreated);
    }

    [Fact]
    public async Task Cancellation_ends_the_wait_for_a_busy_publisher()
    {
        var time = new ObservedTimeProvider();
        var pipeline = OutboxDrainer.CreateBusyRetry(time);
        using var cancel = new CancellationTokenSource();
        var attempts = 0;
        var run = pipeline.ExecuteAsync<int>(_ => throw new PublishBusyException($"busy {++attempts}"), cancel.Token).AsTask();

        await time.NextTimerAsync(Guard);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Guard));
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task The_drain_waits_out_the_rest_of_the_debounce_window_on_the_time_provider()
    {
        var time = new ObservedTimeProvider();
        var wait = OutboxDrainer.WaitForDebounceAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(120), time, CancellationToken.None);

        Assert.Equal(1, time.TimersCreated);
        time.Advance(TimeSpan.FromMilliseconds(379));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await wait.WaitAsync(Guard);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(501)]
    [InlineData(60_000)]
    public void A_change_already_as_old_as_the_debounce_is_drained_at_once(int ageMilliseconds)
    {
        var time = new ObservedTimeProvider();
        var wait = OutboxDrainer.WaitForDebounceAsync(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(ageMilliseconds), time, CancellationToken.None);

        Assert.True(wait.IsCompletedSuccessfully);
        Assert.Equal(0, time.TimersCreated);
    }

    /// <summary>A fake clock that says when a wait has been scheduled, so a test advances it only then.</summary>
    private sealed class ObservedTimeProvider : FakeTimeProvider
    {
        private readonly DateTimeOffset start;
        private readonly Channel<bool> created = Channel.CreateUnbounded<bool>();
        private int timersCreated;

        public ObservedTimeProvider() => start = GetUtcNow();

        public int TimersCreated => Volatile.Read(ref timersCreated);

        public TimeSpan Elapsed => GetUtcNow() - start;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            Interlocked.Increment(ref timersCreated);
            created.Writer.TryWrite(true);
            return timer;
        }

        /// <summary>Waits until the next wait has been scheduled (fails after <paramref name="guard"/> of real time).</summary>
        public async Task NextTimerAsync(TimeSpan guard) => await created.Reader.ReadAsync().AsTask().WaitAsync(guard);
    }
}
