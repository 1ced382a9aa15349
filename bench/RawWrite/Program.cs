using System.Diagnostics;
using System.Globalization;

// Usage: RawWrite LISTFILE TARGETDIR PARALLELISM
// LISTFILE has one "size<TAB>relative/path" per line (what the publisher wrote). Prints files and seconds.
if (args.Length != 3)
{
    await Console.Error.WriteLineAsync("usage: RawWrite LISTFILE TARGETDIR PARALLELISM").ConfigureAwait(false);
    return 2;
}

var entries = (await File.ReadAllLinesAsync(args[0]).ConfigureAwait(false))
    .Select(l => l.Split('\t'))
    .Select(p => (Size: int.Parse(p[0], CultureInfo.InvariantCulture), Path: p[1]))
    .ToList();
var target = args[1];
var parallelism = int.Parse(args[2], CultureInfo.InvariantCulture);
var payload = new byte[entries.Count == 0 ? 0 : entries.Max(e => e.Size)];
new Random(1).NextBytes(payload);

var watch = Stopwatch.StartNew();
foreach (var dir in entries.Select(e => Path.GetDirectoryName(Path.Combine(target, e.Path))!).Distinct())
{
    Directory.CreateDirectory(dir);
}

await Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (e, ct) =>
    await File.WriteAllBytesAsync(Path.Combine(target, e.Path), payload.AsMemory(0, e.Size), ct).ConfigureAwait(false)).ConfigureAwait(false);
watch.Stop();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{entries.Count}\t{watch.Elapsed.TotalSeconds:0.000}"));
return 0;
