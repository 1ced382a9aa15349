using System.Globalization;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Static.Micro;

/// <summary>
/// <c>Static.Micro [--quick] [--out FILE] [--artifacts DIR] [BenchmarkDotNet arguments, e.g. --filter *Render*]</c>:
/// runs the benchmarks (all unless filtered) and writes FILE in the shape bench/results/*.json readers expect
/// (see bench/README.md, "micro"). Exit 1 when a benchmark failed, 2 on bad usage.
/// </summary>
/// <remarks>
/// The benchmarks run in this process (BenchmarkDotNet's in-process toolchain), not in a generated project: RazorLight
/// compiles the templates against this program's own references (PreserveCompilationContext), and no second build of
/// the solution is needed. Each benchmark still gets its pilot, warm-up and measured iterations and the memory diagnoser.
/// </remarks>
internal static class MicroProgram
{
    /// <summary>The order of the output file: the publisher's steps in order, then the Api.</summary>
    private static readonly Type[] Order = [typeof(RenderBenchmarks), typeof(HashBenchmarks), typeof(DiffBenchmarks), typeof(CacheBenchmarks)];

    public static int Main(string[] args)
    {
        var quick = false;
        string? output = null;
        var artifacts = Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts");
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--artifacts" when i + 1 < args.Length:
                    artifacts = args[++i];
                    break;
                case "--out" or "--artifacts":
                    Console.Error.WriteLine($"{args[i]} needs a value");
                    return 2;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        // Without a filter the switcher would ask on the console which benchmarks to run.
        if (!rest.Contains("--filter") && !rest.Contains("-f"))
        {
            rest.AddRange(["--filter", "*"]);
        }

        var config = DefaultConfig.Instance
            .AddJob(JobFor(quick).WithToolchain(InProcessEmitToolchain.Instance))
            .AddExporter(JsonExporter.Full)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.JoinSummary);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroProgram).Assembly).Run([.. rest], config).ToList();
        var reports = summaries.SelectMany(s => s.Reports).ToList();
        var failed = reports.Where(r => !r.Success || r.ResultStatistics is null).Select(r => r.BenchmarkCase.DisplayInfo).ToList();
        if (output is not null)
        {
            Write(output, quick, reports.Where(r => r.Success && r.ResultStatistics is not null));
            Console.WriteLine($"// wrote {output}");
        }

        foreach (var name in failed)
        {
            Console.Error.WriteLine($"failed: {name}");
        }

        return reports.Count == 0 || failed.Count > 0 ? 1 : 0;
    }

    /// <summary>
    /// Quick: BenchmarkDotNet's ShortRun (3 warm-up and 3 measured iterations) at 150 ms an iteration, without the
    /// overhead runs (a call costs a nanosecond or two, nothing here is that short), under a minute in all. Normal: 5 warm-up and 15 measured iterations of 500 ms (BenchmarkDotNet's default length), a fixed count
    /// so that a noisy machine cannot stretch the run to BenchmarkDotNet's 100 iterations (about 3 minutes on 2 cores).
    /// </summary>
    private static Job JobFor(bool quick) => quick
        ? Job.ShortRun.WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(150)).WithEvaluateOverhead(false).WithId("quick")
        : Job.Default.WithWarmupCount(5).WithIterationCount(15).WithId("normal");

    /// <summary>
    /// The results file: one entry per benchmark, times in nanoseconds per operation (error: half the 99.9%
    /// confidence interval, as BenchmarkDotNet's Error column), bytes allocated per operation (memory diagnoser).
    /// </summary>
    private static void Write(string path, bool quick, IEnumerable<BenchmarkReport> reports)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("benchmark", "micro");
        json.WriteString("date", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        json.WriteString("machine", $"{Environment.ProcessorCount} cores");
        json.WriteBoolean("quick", quick);
        json.WriteStartArray("results");
        foreach (var report in reports.OrderBy(r => Array.IndexOf(Order, r.BenchmarkCase.Descriptor.Type)))
        {
            var descriptor = report.BenchmarkCase.Descriptor;
            var statistics = report.ResultStatistics!;
            json.WriteStartObject();
            json.WriteString("name", descriptor.WorkloadMethod.GetCustomAttribute<BenchmarkAttribute>()?.Description ?? descriptor.WorkloadMethod.Name);
            json.WriteString("method", $"{descriptor.Type.Name}.{descriptor.WorkloadMethod.Name}");
            json.WriteNumber("mean_ns", Math.Round(statistics.Mean, 3));
            json.WriteNumber("error_ns", Math.Round(statistics.ConfidenceInterval.Margin, 3));
            json.WriteNumber("stddev_ns", Math.Round(statistics.StandardDeviation, 3));
            json.WriteNumber("allocated_bytes_per_op", report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0);
            json.WriteNumber("operations_per_second", Math.Round(1e9 / statistics.Mean, 1));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
