using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Static.BenchReport;

/// <summary>One result file of bench/results: <c>NAME.json</c> (a full run), <c>NAME-quick.json</c> (bench/run.sh report --quick),
/// <c>NAME-N.json</c> (BENCH_PRODUCTS=N) or another variant (<c>edgehit-tuned.json</c>).</summary>
internal sealed record Figure(
    string Stem, string File, string Benchmark, string Variant, bool Quick, JsonObject Json,
    DateTimeOffset? Date, string DateSource)
{
    public string Mode => Quick ? "quick" : "full";
}

/// <summary>One benchmark's line in the run log bench/report.sh writes (status of this report run).</summary>
internal sealed record RunEntry(string Name, string Status, string File, double? Seconds, int? Exit, string Settings, string Log, string Why);

internal sealed class RunLog
{
    public required JsonObject Json { get; init; }
    public required string Mode { get; init; }
    public DateTimeOffset? Started { get; init; }
    public required IReadOnlyList<RunEntry> Entries { get; init; }

    public RunEntry? For(string benchmark) => Entries.FirstOrDefault(e => e.Name == benchmark);

    public static RunLog? Load(string? path)
    {
        if (path is null || !System.IO.File.Exists(path)) return null;
        if (JsonNode.Parse(System.IO.File.ReadAllText(path)) is not JsonObject o) return null;
        var entries = J.Objects(o, "benchmarks").Select(e => new RunEntry(
            J.Str(e, "name") ?? "?", J.Str(e, "status") ?? "?", J.Str(e, "file") ?? "", J.Num(e, "seconds"),
            J.Num(e, "exit") is { } x ? (int)x : null, J.Str(e, "settings") ?? "", J.Str(e, "log") ?? "", J.Str(e, "why") ?? "")).ToList();
        return new RunLog { Json = o, Mode = J.Str(o, "mode") ?? "full", Started = ParseDate(J.Str(o, "started")), Entries = entries };
    }

    public static DateTimeOffset? ParseDate(string? s) =>
        s is not null && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;
}

internal sealed class Results
{
    public required IReadOnlyList<Figure> Figures { get; init; }
    public required IReadOnlyList<(string File, string Error)> Unreadable { get; init; }

    /// <summary>"quick" or "full": which mode's figure a section shows first when both exist and no report run says more.</summary>
    public required string Prefer { get; init; }

    /// <summary>When the report run that writes the page started (null: the generator alone).</summary>
    public DateTimeOffset? RunStarted { get; set; }

    private bool ThisRun(Figure f) => RunStarted is { } s && f.Date is { } d && d >= s.AddMinutes(-1);

    public IEnumerable<Figure> Of(string benchmark) => Figures.Where(f => f.Benchmark == benchmark);

    /// <summary>The benchmark's plain result (no variant) that a section shows: the one this report's run measured; else,
    /// after a report run, the full run's (a quick figure from an earlier run is no better than a full one); else the
    /// preferred mode's; the newest of those.</summary>
    public Figure? Primary(string benchmark, string variant = "") =>
        Of(benchmark).Where(f => f.Variant == variant)
            .OrderByDescending(ThisRun)
            .ThenByDescending(f => f.Mode == (RunStarted is null ? Prefer : "full"))
            .ThenByDescending(f => f.Date ?? DateTimeOffset.MinValue).FirstOrDefault();

    public static Results Load(string root, string dir, string prefer)
    {
        var git = GitDates(root, dir);
        var figures = new List<Figure>();
        var bad = new List<(string, string)>();
        foreach (var path in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            var stem = Path.GetFileNameWithoutExtension(path);
            if (stem == "latest" || stem.StartsWith("report", StringComparison.Ordinal)) continue;
            var rel = Path.GetRelativePath(root, path);
            JsonObject json;
            try
            {
                if (JsonNode.Parse(System.IO.File.ReadAllText(path)) is not JsonObject o) { bad.Add((rel, "not a JSON object")); continue; }
                json = o;
            }
            catch (JsonException e) { bad.Add((rel, e.Message)); continue; }
            if (J.Str(json, "benchmark") == "report") continue;

            var benchmark = J.Str(json, "benchmark") ?? stem.Split('-')[0];
            var rest = stem.StartsWith(benchmark, StringComparison.Ordinal) ? stem[benchmark.Length..] : stem;
            var tokens = rest.Split('-', StringSplitOptions.RemoveEmptyEntries).ToList();
            var quick = tokens.Remove("quick") | (J.Bool(json, "quick") ?? false);
            DateTimeOffset? date; string source;
            if (RunLog.ParseDate(J.Str(json, "date")) is { } d) { date = d; source = "date recorded in the result"; }
            else if (git.TryGetValue(rel, out var g)) { date = g; source = "the result has no date: that of the commit that last changed the file"; }
            else { date = System.IO.File.GetLastWriteTimeUtc(path); source = "the result has no date: the file's modification time"; }
            figures.Add(new Figure(stem, rel, benchmark, string.Join("-", tokens), quick, json, date, source));
        }
        return new Results { Figures = figures, Unreadable = bad, Prefer = prefer };
    }

    /// <summary>For result files that are committed and unchanged since: the date of the commit that last changed each.</summary>
    private static Dictionary<string, DateTimeOffset> GitDates(string root, string dir)
    {
        var dates = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var rel = Path.GetRelativePath(root, dir);
        var status = Run(root, "git", "status", "--porcelain", "--untracked-files=all", "--", rel);
        if (status is null) return dates;
        var changed = status.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Length > 3 ? l[3..].Trim() : "").ToHashSet(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(dir, "*.json"))
        {
            var r = Path.GetRelativePath(root, path);
            if (changed.Contains(r)) continue;
            var iso = Run(root, "git", "log", "-1", "--format=%cI", "--", r)?.Trim();
            if (RunLog.ParseDate(iso) is { } d) dates[r] = d;
        }
        return dates;
    }

    public static string? Run(string cwd, string file, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(file) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi);
            if (p is null) return null;
            var output = p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}

/// <summary>The machine the report is generated on (and, in a report run, the benchmarks ran on).</summary>
internal static class Machine
{
    public static JsonObject Describe(string root)
    {
        var cpu = ReadLines("/proc/cpuinfo").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim() == "model name")
            .Select(p => p[1].Trim()).FirstOrDefault() ?? "unknown (no model name in /proc/cpuinfo)";
        var logical = ReadLines("/proc/cpuinfo").Count(l => l.StartsWith("processor", StringComparison.Ordinal));
        var memKib = ReadLines("/proc/meminfo").Where(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).FirstOrDefault();
        var kernel = ReadText("/proc/sys/kernel/osrelease")?.Trim() ?? RuntimeInformation.OSDescription;
        var os = ReadLines("/etc/os-release").Where(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
            .Select(l => l["PRETTY_NAME=".Length..].Trim('"')).FirstOrDefault() ?? RuntimeInformation.OSDescription;
        var sdk = Results.Run(root, "dotnet", "--version")?.Trim();
        return new JsonObject
        {
            ["cpu_model"] = cpu,
            ["cores"] = Environment.ProcessorCount,
            ["logical_processors_in_cpuinfo"] = logical,
            ["memory_gib"] = Math.Round(memKib / 1024 / 1024, 1),
            ["kernel"] = kernel,
            ["os"] = os,
            ["dotnet_runtime"] = RuntimeInformation.FrameworkDescription,
            ["dotnet_sdk"] = sdk,
            ["architecture"] = RuntimeInformation.OSArchitecture.ToString(),
            ["date"] = F.Iso(DateTimeOffset.UtcNow),
        };
    }

    private static string[] ReadLines(string path) => System.IO.File.Exists(path) ? System.IO.File.ReadAllLines(path) : [];

    private static string? ReadText(string path) => System.IO.File.Exists(path) ? System.IO.File.ReadAllText(path) : null;
}
