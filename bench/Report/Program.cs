// bench/Report: the benchmark report. Reads every bench/results/*.json and writes
//   bench/results/latest.json   one object: the machine, the headline ratios, and each result under its file name
//   docs/benchmarks.md          per benchmark: what it compares, its figures and ratio against the baseline, its charts,
//                               and the date each figure was measured (stale ones marked)
//   docs/benchmarks/*.png       the charts (ScottPlot)
// Run by bench/report.sh (bench/run.sh report [--quick]) after the benchmarks, or alone from the repository root:
//   dotnet run --project bench/Report [-- --prefer quick|full] [--run-log bench/results/report.json]
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Static.BenchReport;

var opts = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine("usage: Static.BenchReport [--root DIR] [--results DIR] [--docs DIR] [--prefer quick|full] [--run-log FILE]");
        return 2;
    }
    opts[args[i][2..]] = args[++i];
}
var root = Path.GetFullPath(opts.GetValueOrDefault("root", "."));
var resultsDir = Path.GetFullPath(opts.GetValueOrDefault("results", Path.Combine(root, "bench", "results")));
var docsDir = Path.GetFullPath(opts.GetValueOrDefault("docs", Path.Combine(root, "docs")));
if (!Directory.Exists(resultsDir))
{
    Console.Error.WriteLine($"no results folder at {resultsDir}: run from the repository root, or pass --root");
    return 2;
}
var run = RunLog.Load(opts.GetValueOrDefault("run-log"));
var prefer = opts.GetValueOrDefault("prefer", run?.Mode ?? "full");
if (prefer is not ("quick" or "full"))
{
    Console.Error.WriteLine("--prefer is quick or full");
    return 2;
}

var now = DateTimeOffset.UtcNow;
var results = Results.Load(root, resultsDir, prefer);
results.RunStarted = run?.Started;
// Stale: measured before this report's run started (the benchmark failed, was skipped or not run by it); without a run
// log (the generator alone), measured more than 7 days before the page was written.
var staleBefore = run?.Started?.AddMinutes(-1) ?? now.AddDays(-7);
var staleRule = run?.Started is { } started
    ? $"measured before this report's run started ({F.Date(started)}): the benchmark failed, was skipped or is not run by `--quick`"
    : $"measured more than 7 days before this page was written ({F.Date(now)}); no report run wrote it";
var charts = new Charts(Path.Combine(docsDir, "benchmarks"), "benchmarks");
var report = new Report(results, run, charts, staleBefore);
report.WriteAll();
charts.RemoveOthers();
var machine = Machine.Describe(root);

// ----- docs/benchmarks.md -----
var md = new StringBuilder();
md.AppendLine("# Benchmarks").AppendLine();
md.AppendLine("<!-- Written by bench/Report (`bench/run.sh report [--quick]`): change the generator, not this file. -->").AppendLine();
var how = run is null
    ? "the report generator alone (`dotnet run --project bench/Report`), from the results on disk; no benchmark was run for it"
    : $"`bench/run.sh report{(run.Mode == "quick" ? " --quick" : "")}`, which ran the benchmarks first";
md.AppendLine(F.Inv($"Written on {F.Date(now)} by {how}. Every figure is also in [`bench/results/latest.json`](../bench/results/latest.json); how each benchmark works and how to read it: [bench/README.md](../bench/README.md).")).AppendLine();
md.AppendLine("How to read it:");
md.AppendLine("- Each benchmark compares the system with a baseline measured in the same run (a bare Kestrel app, Varnish's own synthetic answer, a raw write of the same files, row-by-row inserts, a naive client). Ratios are *ours / baseline* for throughput (higher is better) unless the table says otherwise; times are lower-is-better.");
md.AppendLine("- Every figure names its result file, its mode — **full** (`bench/run.sh NAME`, `bench/run.sh report`) or **quick** (`bench/run.sh report --quick`: 10,000 products, one short pair, fewer changes; written to `bench/results/NAME-quick.json`, never over a full run's file) — and the date it was measured.");
md.AppendLine(F.Inv($"- ⚠ **stale** marks a figure {staleRule}. Such a figure is still the last one measured, shown with its date."));
md.AppendLine("- The machine is small and shared (see below): compare ratios within one run, not absolute rates across runs.");
md.AppendLine("- `--quick` does not run **storefront** (about 6 minutes), **lighthouse** (about 12 minutes at 3 runs a page) and **micro** (BenchmarkDotNet: its short run alone takes about a minute and a half; `bench/run.sh micro --quick`); their figures below are the last ones measured, with their dates.").AppendLine();

md.AppendLine("## The machine").AppendLine();
md.AppendLine("| CPU | cores | memory | kernel | OS | .NET |");
md.AppendLine("| --- | --- | --- | --- | --- | --- |");
md.AppendLine(F.Inv($"| {J.Str(machine, "cpu_model")} | {J.Num(machine, "cores")} | {F.N(J.Num(machine, "memory_gib"), 1)} GiB | {J.Str(machine, "kernel")} | {J.Str(machine, "os")} | {J.Str(machine, "dotnet_runtime")} (SDK {J.Str(machine, "dotnet_sdk") ?? "?"}) |")).AppendLine();
md.AppendLine(run is null
    ? "This is the machine the page was written on; each figure's own `machine` note, where its result has one, is beside its date."
    : "The machine this report's run measured on; figures from earlier runs carry their own `machine` note where their result has one.").AppendLine();

if (run is not null)
{
    md.AppendLine("## This report's run").AppendLine();
    md.AppendLine(F.Inv($"Mode **{run.Mode}**, started {F.Date(run.Started)}; the benchmarks and this page took {F.S(J.Num(run.Json, "seconds"))} (after `bench/run.sh`'s builds)."));
    md.AppendLine();
    md.AppendLine("| benchmark | status | time | settings | result |");
    md.AppendLine("| --- | --- | --- | --- | --- |");
    foreach (var e in run.Entries)
    {
        var status = e.Status is "ok" or "skipped" ? e.Status : "⚠ " + e.Status;
        var settings = e.Settings.Length > 0 ? e.Settings : e.Why.Length > 0 ? e.Why : "—";
        md.AppendLine(F.Inv($"| {e.Name} | {status} | {F.S(e.Seconds)} | {settings} | {(e.File.Length > 0 ? "`" + e.File + "`" : "—")} |"));
    }
    md.AppendLine();
}

md.AppendLine("## Headline").AppendLine();
if (report.Headline.Count == 0) md.AppendLine("No result has a headline figure yet.").AppendLine();
else
{
    md.AppendLine("| figure | value | target | measured |");
    md.AppendLine("| --- | --- | --- | --- |");
    foreach (var (key, node) in report.Headline)
    {
        var value = J.Num(node, "value")!.Value;
        var stale = J.Bool(node, "stale") is true ? "⚠ stale: " : "";
        var when = F.Date(RunLog.ParseDate(J.Str(node, "measured")));
        md.AppendLine(F.Inv($"| {J.Str(node, "what")} (`{key}`) | **{value.ToString("0.###", CultureInfo.InvariantCulture)}** | {J.Str(node, "target") ?? "—"} | {stale}{J.Str(node, "mode")}, {when} (`{J.Str(node, "file")}`) |"));
    }
    md.AppendLine();
}
if (report.MissingBenchmarks.Count > 0 || results.Unreadable.Count > 0)
{
    md.AppendLine("## Missing results").AppendLine();
    foreach (var m in report.MissingBenchmarks) md.AppendLine(F.Inv($"- **{m}** has no result in `bench/results/`: its section has no figures and no chart."));
    foreach (var (file, error) in results.Unreadable) md.AppendLine(F.Inv($"- `{file}` is not readable JSON ({error}): left out."));
    md.AppendLine();
}
md.Append(report.Sections);
Directory.CreateDirectory(docsDir);
var mdPath = Path.Combine(docsDir, "benchmarks.md");
File.WriteAllText(mdPath, md.ToString().TrimEnd() + "\n");

// ----- bench/results/latest.json -----
var latest = new JsonObject
{
    ["generated"] = F.Iso(now),
    ["prefer"] = prefer,
    ["machine"] = machine,
    ["run"] = run?.Json.DeepClone(),
    ["headline"] = report.Headline.DeepClone(),
    ["missing"] = new JsonArray(report.MissingBenchmarks.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
    ["sources"] = new JsonObject(results.Figures.Select(f => KeyValuePair.Create(f.Stem, (JsonNode?)new JsonObject
    {
        ["file"] = f.File,
        ["benchmark"] = f.Benchmark,
        ["variant"] = f.Variant,
        ["mode"] = f.Mode,
        ["measured"] = f.Date is { } d ? F.Iso(d) : null,
        ["date_source"] = f.DateSource,
        ["stale"] = f.Date is not { } d2 || d2 < staleBefore,
    }))),
};
foreach (var f in results.Figures) latest[f.Stem] = f.Json.DeepClone();
var latestPath = Path.Combine(resultsDir, "latest.json");
File.WriteAllText(latestPath, latest.ToJsonString(Output.Json) + "\n");

Console.WriteLine($"wrote {Path.GetRelativePath(root, latestPath)}, {Path.GetRelativePath(root, mdPath)} and {charts.Written.Count} charts in {Path.GetRelativePath(root, Path.Combine(docsDir, "benchmarks"))}/");
Console.WriteLine($"  {results.Figures.Count} results read ({string.Join(", ", results.Figures.Select(f => f.Stem))})");
if (report.MissingBenchmarks.Count > 0) Console.WriteLine($"  no result for: {string.Join(", ", report.MissingBenchmarks)}");
foreach (var (file, error) in results.Unreadable) Console.WriteLine($"  unreadable: {file}: {error}");
return 0;

internal static class Output
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
