using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Static.IntegrationTests.Infrastructure;

namespace Static.IntegrationTests.Faults;

/// <summary>
/// A reader that never accepts a torn version: it keeps reading the root the edge serves and, for every new
/// version, checks on the store itself (not through the edge, whose negative cache would blur it) that
/// every shard the root names and a sample of every shard's content-addressed objects are there. A miss
/// while the store is up is a torn version. Checks that overlap the store being down are dropped, not judged.
/// </summary>
internal sealed class TornVersionReader(HttpClient edge, ThrowawayS3 store) : IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly HttpClient direct = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly HashSet<long> checkedVersions = [];

    public ConcurrentQueue<string> Torn { get; } = new();

    public int RootsChecked => checkedVersions.Count;

    public void Stop() => stop.Cancel();

    public void Dispose()
    {
        stop.Dispose();
        direct.Dispose();
    }

    public async Task RunAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await edge.GetAsync("/manifest.json", stop.Token);
                if (response.StatusCode == HttpStatusCode.OK && store.Up)
                {
                    var root = ShopRoot.Parse(await response.Content.ReadAsStringAsync(stop.Token));
                    if (!checkedVersions.Contains(root.Version))
                    {
                        var misses = await MissingAsync(root, sample: 20, stop.Token);
                        if (misses is not null)
                        {
                            checkedVersions.Add(root.Version);
                            foreach (var miss in misses)
                            {
                                Torn.Enqueue($"version {root.Version}: {miss}");
                            }
                        }
                    }
                }

                await Task.Delay(250, stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception e) when (e is HttpRequestException or JsonException)
            {
                // No root to judge (the edge or the store is down): try again.
            }
        }
    }

    /// <summary>The live root (from the store) and every object it names, all of them: what is missing.</summary>
    public async Task<IReadOnlyList<string>> CheckWholeAsync()
    {
        var root = ShopRoot.Parse(await direct.GetStringAsync(new Uri($"{store.ServiceUrl}/{store.Bucket}/manifest.json")));
        return await MissingAsync(root, sample: int.MaxValue, CancellationToken.None) ?? ["the store went down during the check"];
    }

    /// <summary>Null when the store was down at some point of the check (nothing can be concluded).</summary>
    private async Task<List<string>?> MissingAsync(ShopRoot root, int sample, CancellationToken cancellationToken)
    {
        var missing = new ConcurrentBag<string>();
        var objects = new List<string>();
        foreach (var (shard, hash) in root.Shards)
        {
            var key = $"_manifest/{shard}.{hash}.json";
            using var response = await direct.GetAsync(new Uri($"{store.ServiceUrl}/{store.Bucket}/{key}"), cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                missing.Add(key);
                continue;
            }

            response.EnsureSuccessStatusCode();
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            objects.AddRange(json.RootElement.GetProperty("entries").EnumerateObject()
                .Where(p => Path.HasExtension(p.Name))
                .OrderBy(_ => Random.Shared.Next()).Take(sample)
                .Select(p => $"_immutable/{p.Value.GetString()}{Path.GetExtension(p.Name)}"));
        }

        await Parallel.ForEachAsync(objects, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (key, ct) =>
        {
            using var head = await direct.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri($"{store.ServiceUrl}/{store.Bucket}/{key}")), ct);
            if (head.StatusCode == HttpStatusCode.NotFound)
            {
                missing.Add(key);
            }
        });
        return store.Up ? [.. missing] : null;
    }
}
