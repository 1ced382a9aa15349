using System.Diagnostics;

namespace Static.Publisher.Publishing;

/// <summary>Seconds per stage, for the summary and the benchmark.</summary>
internal sealed class StageClock
{
    private readonly Stopwatch watch = Stopwatch.StartNew();
    private readonly Dictionary<string, double> laps = [];

    public IReadOnlyDictionary<string, double> Laps => laps;

    public void Lap(string stage)
    {
        laps[stage] = Math.Round(watch.Elapsed.TotalSeconds, 3);
        watch.Restart();
    }
}
