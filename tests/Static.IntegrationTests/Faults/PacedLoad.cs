using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Static.IntegrationTests.Faults;

/// <summary>
/// A bounded, paced loopback load for the fault suite: each reader sends requests at a fixed rate (open
/// loop: a slow answer does not slow the pace, up to <see cref="MaxInFlight"/> outstanding per reader),
/// and an admin writer changes prices at a steady rate, remembering each write the Api acknowledged so the
/// test can check every one reached the edge. Every answer is kept with the phase it started in
/// (before, during the fault, after it), so the report can say what clients saw while the part was down.
/// </summary>
internal sealed class PacedLoad : IAsyncDisposable
{
    public const int MaxInFlight = 64;

    static PacedLoad()
    {
        // The load's answers are handled on the thread pool; on 2 cores it starts with 2 threads and grows
        // slowly, so a burst of slow answers would stall the client itself and read as the server's fault.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }

    private readonly ConcurrentQueue<Sample> samples = new();
    private readonly ConcurrentDictionary<long, decimal> acknowledged = new();
    private readonly List<Task> loops = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private volatile string phase = "before";
    private int acknowledgedWrites;
    private int refusedWrites;
    private int failedWrites;

    public string Phase => phase;

    /// <summary>Price each product was last set to by a write the Api acknowledged (2xx).</summary>
    public IReadOnlyDictionary<long, decimal> Acknowledged => acknowledged;

    public int AcknowledgedWrites => acknowledgedWrites;

    /// <summary>Writes answered 503 with Retry-After: refused, and so not acknowledged.</summary>
    public int RefusedWrites => refusedWrites;

    /// <summary>Writes answered anything else that is not a success (a 500, a timeout, a 503 without Retry-After).</summary>
    public int FailedWrites => failedWrites;

    public void MarkFault() => phase = "during";

    public void MarkRestored() => phase = "after";

    /// <summary>Reads <paramref name="paths"/> (cycled) from <paramref name="client"/> at <paramref name="perSecond"/>.</summary>
    public void Read(string name, HttpClient client, IReadOnlyList<string> paths, int perSecond)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(paths);
        loops.Add(Task.Run(() => ReadLoopAsync(name, client, paths, perSecond)));
    }

    /// <summary>Changes the price of <paramref name="products"/> (in turn) through the admin API, <paramref name="perSecond"/> writes a second.</summary>
    public void WritePrices(HttpClient admin, IReadOnlyDictionary<long, JsonElement> products, double perSecond)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(products);
        loops.Add(Task.Run(() => WriteLoopAsync(admin, products, perSecond)));
    }

    private async Task ReadLoopAsync(string name, HttpClient client, IReadOnlyList<string> paths, int perSecond)
    {
        var interval = TimeSpan.FromSeconds(1.0 / perSecond);
        var next = clock.Elapsed;
        var inFlight = 0;
        var i = 0;
        while (!stop.IsCancellationRequested)
        {
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            next += interval;
            var path = paths[i++ % paths.Count];
            if (Interlocked.Increment(ref inFlight) > MaxInFlight)
            {
                // The pace is kept: a request that cannot be sent counts as an error the client saw.
                Interlocked.Decrement(ref inFlight);
                samples.Enqueue(new Sample(name, phase, path, 0, 0, false, false, $"client overloaded (64 requests outstanding: {string.Join(", ", Outstanding().Take(3))})"));
                continue;
            }

            _ = SendAsync(name, client, path).ContinueWith(_ => Interlocked.Decrement(ref inFlight), TaskScheduler.Default);
        }
    }

    private readonly ConcurrentDictionary<Guid, (string Name, string Path, TimeSpan Started)> outstanding = new();

    /// <summary>Requests sent and not answered yet, with how long they have waited (for failure messages).</summary>
    public IReadOnlyList<string> Outstanding() =>
        [.. outstanding.Values.Select(o => string.Create(CultureInfo.InvariantCulture, $"{o.Name} {o.Path} waiting {(clock.Elapsed - o.Started).TotalSeconds:0.0} s"))];

    private async Task SendAsync(string name, HttpClient client, string path)
    {
        var started = clock.Elapsed;
        var startedIn = phase;
        var key = Guid.NewGuid();
        outstanding[key] = (name, path, started);
        try
        {
            using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);
            samples.Enqueue(new Sample(name, startedIn, path, (int)response.StatusCode, (clock.Elapsed - started).TotalMilliseconds,
                response.Headers.Contains("x-static-stale"), response.Headers.RetryAfter is not null, null));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            samples.Enqueue(new Sample(name, startedIn, path, 0, (clock.Elapsed - started).TotalMilliseconds, false, false, e.GetType().Name + ": " + e.Message));
        }
        finally
        {
            outstanding.TryRemove(key, out _);
        }
    }

    private async Task WriteLoopAsync(HttpClient admin, IReadOnlyDictionary<long, JsonElement> products, double perSecond)
    {
        var ids = products.Keys.Order().ToArray();
        var interval = TimeSpan.FromSeconds(1.0 / perSecond);
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            var started = clock.Elapsed;
            var id = ids[n % ids.Length];
            var price = 100m + n + 0.01m * (n % 97);
            n++;
            var p = products[id];
            var startedIn = phase;
            try
            {
                using var response = await admin.PutAsJsonAsync($"/admin/products/{id}", new
                {
                    name = p.GetProperty("name").GetString(),
                    slug = p.GetProperty("slug").GetString(),
                    description = p.GetProperty("description").GetString(),
                    priceAmount = price,
                    currency = p.GetProperty("currency").GetString(),
                    categoryId = p.GetProperty("categoryId").GetInt64(),
                }).ConfigureAwait(false);
                var code = (int)response.StatusCode;
                samples.Enqueue(new Sample("admin", startedIn, $"/admin/products/{id}", code, (clock.Elapsed - started).TotalMilliseconds, false, response.Headers.RetryAfter is not null, null));
                if (response.IsSuccessStatusCode)
                {
                    acknowledged[id] = price;
                    Interlocked.Increment(ref acknowledgedWrites);
                }
                else if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is not null)
                {
                    Interlocked.Increment(ref refusedWrites);
                }
                else
                {
                    Interlocked.Increment(ref failedWrites);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                Interlocked.Increment(ref failedWrites);
                samples.Enqueue(new Sample("admin", startedIn, $"/admin/products/{id}", 0, (clock.Elapsed - started).TotalMilliseconds, false, false, e.GetType().Name + ": " + e.Message));
            }

            var wait = started + interval - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Stops sending and waits for the loops (answers still outstanding are kept as they arrive).</summary>
    public async Task StopAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(loops).ConfigureAwait(false);
        await Task.Delay(500).ConfigureAwait(false);
    }

    public IReadOnlyList<Sample> Samples => [.. samples];

    /// <summary>What one reader (or "admin") saw in one phase.</summary>
    public PhaseStats Stats(string name, string? inPhase = null)
    {
        var selected = samples.Where(s => s.Name == name && (inPhase is null || s.Phase == inPhase)).ToList();
        var latencies = selected.Where(s => s.Status != 0).Select(s => s.Milliseconds).Order().ToList();
        return new PhaseStats(
            selected.Count,
            selected.Count(s => s.Status is >= 200 and < 400),
            selected.Count(s => s.Stale),
            selected.Count(s => s.Status == 503 && s.RetryAfter),
            selected.Count(s => s.Status == 0 || (s.Status >= 500 && !(s.Status == 503 && s.RetryAfter))),
            selected.Count(s => s.Status == 404),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            latencies.Count == 0 ? 0 : latencies[^1],
            selected.Where(s => s.Error is not null || s.Status >= 500).Select(s => s.Error ?? string.Create(CultureInfo.InvariantCulture, $"{s.Status} {s.Path}")).FirstOrDefault());
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested)
        {
            await StopAsync().ConfigureAwait(false);
        }

        stop.Dispose();
    }
}

/// <summary>One answer: who asked, in which phase, the status (0 = no answer), latency, and the markers that matter.</summary>
internal sealed record Sample(string Name, string Phase, string Path, int Status, double Milliseconds, bool Stale, bool RetryAfter, string? Error);

/// <summary>
/// Counts for one reader in one phase. <see cref="Errors"/> are answers a client cannot use and was not told
/// to retry: no answer at all, or a 5xx other than 503 with Retry-After.
/// </summary>
internal sealed record PhaseStats(int Requests, int Ok, int Stale, int RetryLater, int Errors, int NotFound, double P50, double P99, double Max, string? FirstError)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Requests} req: {Ok} ok ({Stale} stale), {RetryLater} 503+Retry-After, {Errors} errors{(Errors > 0 ? $" (first: {FirstError})" : "")}, p99 {P99:0} ms, max {Max:0} ms");
}
