using System.Text;
using System.Text.Json.Nodes;

namespace Static.BenchReport;

/// <summary>Writes docs/benchmarks.md section by section, drawing each chart and collecting the headline ratios.</summary>
internal sealed class Report(Results results, RunLog? run, Charts charts, DateTimeOffset staleBefore)
{
    /// <summary>The benchmarks the report knows, in the order bench/report.sh runs them: name, title, what it compares.</summary>
    public static readonly (string Name, string Title, string Compares)[] Known =
    [
        ("seed", "Loading the demo catalog",
            "`publisher seed` (the whole command: process start, Bogus generation, one transaction of binary COPY) against the baseline of the same product rows written back one prepared `INSERT` at a time by psql (rows only)."),
        ("publish", "Publishing: the publisher against a raw write of the same files",
            "A full `publisher publish` to the folder store (process start to live manifest) against `bench/RawWrite` writing exactly the same file set, 16 files in parallel, run before and after each publish (on disk, and on tmpfs where the result has it); then incremental publishes, the growth with the catalog, and publishing to s3rver."),
        ("api", "The Api's cache hit against a bare Kestrel app",
            "The Api's L1 (in-process) hit on `/products/42.json` against `bench/BareApi`, an independent bare Kestrel app answering the same bytes and headers from a dictionary; each server pinned to CPU 1, wrk on CPU 0, alternating pairs. Then the L2 (Redis) hit and the database path of the Api, and an eviction seen by a second instance."),
        ("edgehit", "A hit through the edge against Varnish's own ceiling",
            "A cache hit through the generated VCL against Varnish answering a synthetic response of the same size straight from VCL (no backend, no lookup), and against the bare Kestrel app; pinned, alternating pairs."),
        ("edge", "Invalidation: what a change costs at the CDN",
            "The invalidation entries three kinds of change cost (a one-product rename, a site-config change, a 1,000-product price import) against Hugo's deploy, which sends `/*` for each; and the time from a publish finishing to the new bytes at the local Varnish."),
        ("freshness", "Freshness: an admin change to the new bytes at the edge",
            "Admin `PUT` acknowledged → the new bytes at the local Varnish, through the outbox, `publisher run`, s3rver and the purge; a burst of changes; the artifacts rendered per change against the dependents the index names (exactly those, no more)."),
        ("clients", "Clients: what the browser module transfers for a change",
            "The browser module (manifest root, shard, entry) against a naive client that refetches what the page holds, in a real Chromium; and publish → open page showing the change, on focus and with the periodic check."),
        ("surge", "Surge: a flash sale through the edge",
            "The flash-sale read shape through the local Varnish with the Api behind it: a Zipf base rate, then 10× on 20 products while their prices change every second (target against achieved rate, edge hit ratio, PostgreSQL transactions during against before); a cache-busting flood against the negative-cache budget; a soak of the Api at 80% of its measured maximum."),
        ("storefront", "Storefront: a design change and a new photo",
            "What a CSS-only deployment (a rebuilt publisher with one rule added to `site.css`) and one product's new photo cost to publish at 10,000 products, against the first publish of the catalog."),
        ("lighthouse", "Lighthouse on the demo shop",
            "Lighthouse 12.2.3 (Debian's Chromium, headless) on the homepage, a category's pages 1 and 2 and a product page of the running shop, mobile and desktop: the four category scores and the bytes per page."),
        ("micro", "Micro-benchmarks",
            "BenchmarkDotNet micro-benchmarks of hot code paths (`bench/Micro`): mean time, allocations and operations per second per method."),
    ];

    private readonly StringBuilder md = new();

    public JsonObject Headline { get; } = [];

    public List<string> MissingBenchmarks { get; } = [];

    public string Sections => md.ToString();

    public void WriteAll()
    {
        foreach (var (name, title, compares) in Known)
        {
            Section(name, title, compares);
        }
        foreach (var extra in results.Figures.Select(f => f.Benchmark).Distinct().Where(b => Known.All(k => k.Name != b)).Order(StringComparer.Ordinal))
        {
            Section(extra, extra, "A benchmark this report has no chart for yet; its JSON is in `bench/results/latest.json`.");
        }
        ChangeToEdge();
    }

    private void Section(string name, string title, string compares)
    {
        md.AppendLine(F.Inv($"## {name}: {title}")).AppendLine();
        md.AppendLine(F.Inv($"**Compares.** {compares}")).AppendLine();
        var f = results.Primary(name) ?? results.Of(name).OrderByDescending(x => x.Date).FirstOrDefault();
        if (run?.For(name) is { } entry) RunStatus(entry, f);
        if (f is null)
        {
            MissingBenchmarks.Add(name);
            md.AppendLine(F.Inv($"> **No result for `{name}`**: `bench/results/{name}.json` (or `{name}-quick.json`) is missing, so its table and chart are skipped. Run `bench/run.sh {name}`.")).AppendLine();
            return;
        }
        try
        {
            switch (name)
            {
                case "seed": Seed(f); break;
                case "publish": Publish(f); Growth(); break;
                case "api": Api(f); break;
                case "edgehit": EdgeHit(f); break;
                case "edge": Edge(f); break;
                case "freshness": Freshness(f); break;
                case "clients": Clients(f); break;
                case "surge": Surge(f); break;
                case "storefront": Storefront(f); break;
                case "lighthouse": Lighthouse(f); break;
                case "micro": Micro(f); break;
                default: Source(f); md.AppendLine("No table for this benchmark yet.").AppendLine(); break;
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or IndexOutOfRangeException or KeyNotFoundException)
        {
            md.AppendLine(F.Inv($"> **Could not read `{f.File}`** ({e.GetType().Name}: {e.Message}); its figures are in `bench/results/latest.json` as they are.")).AppendLine();
        }
        var others = results.Of(name).Where(x => x != f && x.Variant == "" ).ToList();
        foreach (var o in others)
        {
            md.AppendLine(F.Inv($"The {o.Mode} run's result is in `{o.File}` too ({Measured(o)}); the figures above are the {f.Mode} run's.")).AppendLine();
        }
    }

    private void RunStatus(RunEntry e, Figure? f)
    {
        var fresh = f is not null && !Stale(f) && Path.GetFileName(f.File) == Path.GetFileName(e.File);
        var took = e.Seconds is { } s ? F.Inv($" after {F.S(s)}") : "";
        var settings = e.Settings.Length > 0 ? F.Inv($" with `{e.Settings}`") : "";
        switch (e.Status)
        {
            case "ok":
                md.AppendLine(F.Inv($"This report ran it ({run!.Mode}{settings}) in {F.S(e.Seconds)}.")).AppendLine();
                break;
            case "skipped":
                md.AppendLine(F.Inv($"> {Capital(e.Why)}. The figures below are the last ones measured, with their date.")).AppendLine();
                break;
            default:
                var figures = fresh
                    ? "It had written its result before it stopped: the figures below are this run's."
                    : "The figures below, if any, are from an earlier run, with their date.";
                md.AppendLine(F.Inv($"> ⚠ **{e.Status} in this report run**{took}{settings} (exit {e.Exit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}; its output: `{e.Log}`). {figures}")).AppendLine();
                break;
        }
    }

    // ----- helpers -----

    private static string Capital(string s) => s.Length == 0 ? "Not run by this report" : char.ToUpperInvariant(s[0]) + s[1..];

    private bool Stale(Figure f) => f.Date is not { } d || d < staleBefore;

    private static string Measured(Figure f) => F.Inv($"{f.Mode} run, measured {F.Date(f.Date)}");

    /// <summary>The line naming where the figures come from: file, mode, date (with how it is known) and a stale mark.</summary>
    private void Source(Figure f, string? what = null)
    {
        var settings = run?.For(f.Benchmark) is { } e && Path.GetFileName(e.File) == Path.GetFileName(f.File) && e.Settings.Length > 0
            ? F.Inv($", settings `{e.Settings}`") : "";
        var stale = Stale(f) ? F.Inv($"⚠ **stale: measured {F.Date(f.Date)}**, before this report") : F.Inv($"measured {F.Date(f.Date)}");
        var machine = J.Str(f.Json, "machine") is { } m ? F.Inv($", on {m}") : "";
        md.AppendLine(F.Inv($"{what ?? "Figures"}: `{f.File}` — **{f.Mode}** run{settings}; {stale}{machine} ({f.DateSource}).")).AppendLine();
    }

    private void Table(string[] header, IEnumerable<string[]> rows)
    {
        md.AppendLine("| " + string.Join(" | ", header) + " |");
        md.AppendLine("|" + string.Concat(Enumerable.Repeat(" --- |", header.Length)));
        foreach (var r in rows) md.AppendLine("| " + string.Join(" | ", r) + " |");
        md.AppendLine();
    }

    private void Chart(string imageLine) => md.AppendLine(imageLine).AppendLine();

    private void Skipped(string chart, string why) => md.AppendLine(F.Inv($"> Chart skipped ({chart}): {why}.")).AppendLine();

    private void Head(string key, double? value, string what, Figure f, string? target = null, int decimals = 3)
    {
        if (value is not { } v) return;
        Headline[key] = new JsonObject
        {
            ["value"] = Math.Round(v, decimals),
            ["what"] = what,
            ["target"] = target,
            ["benchmark"] = f.Benchmark,
            ["file"] = f.File,
            ["mode"] = f.Mode,
            ["measured"] = f.Date is { } d ? F.Iso(d) : null,
            ["stale"] = Stale(f),
        };
    }

    private static double? Kib(double? bytes) => bytes / 1024;

    // ----- sections -----

    private void Seed(Figure f)
    {
        Source(f);
        var rows = J.Objects(f.Json, "results").Select(r => (Tool: J.Str(r, "tool") ?? "?", Products: J.Num(r, "products"), Ms: J.Num(r, "ms"))).ToList();
        if (rows.Count == 0) { Skipped("seed", "the result has no `results` list"); return; }
        var groups = rows.GroupBy(r => (r.Tool, r.Products)).Select(g => (g.Key.Tool, g.Key.Products, Runs: g.Select(x => x.Ms).ToList(), Median: J.Median(g.Select(x => x.Ms)))).ToList();
        var baseline = groups.FirstOrDefault(g => !g.Tool.StartsWith("publisher", StringComparison.Ordinal));
        var ours = groups.FirstOrDefault(g => g.Tool.StartsWith("publisher", StringComparison.Ordinal) && g.Products == baseline.Products);
        Table(["what", "products", "runs", "median", "vs baseline (baseline time / this time)"],
            groups.Select(g => new[]
            {
                g.Tool.StartsWith("publisher", StringComparison.Ordinal) ? "`publisher seed` (whole command)" : "baseline: " + g.Tool,
                F.N(g.Products), string.Join(", ", g.Runs.Select(x => F.N(x) + " ms")), F.N(g.Median) + " ms",
                g.Tool.StartsWith("publisher", StringComparison.Ordinal) && g.Products == baseline.Products && baseline.Median is not null
                    ? F.N(J.Ratio(baseline.Median, g.Median), 2) + "×" : "—",
            }));
        var ratio = J.Ratio(baseline.Median, ours.Median);
        Head("seed_speed_vs_row_by_row_inserts", ratio, "row-by-row INSERTs' time / publisher seed's time for the same products (>1: the seed command is faster, start-up and generation included)", f);
        Chart(charts.Bars("seed", "seed: time to load the catalog (s, lower is better)", "seconds",
            groups.Select(g => (g.Tool.StartsWith("publisher", StringComparison.Ordinal) ? "publisher seed" : "row-by-row INSERTs") + ", " + F.N(g.Products)).ToArray(),
            [new Series("median", groups.Select(g => g.Median / 1000).ToArray())], v => F.N(v, 2) + " s",
            roles: groups.Select(g => g.Tool.StartsWith("publisher", StringComparison.Ordinal) ? "Static: publisher seed" : "baseline: row-by-row INSERTs").ToArray()));
    }

    private void Publish(Figure f)
    {
        Source(f);
        if (J.Obj(f.Json, "roots") is { } roots) PublishByRoot(f, roots);
        else PublishSinglePair(f);
    }

    /// <summary>The first shape (until 2026-12): one full publish between two raw writes of the same file set, on disk.</summary>
    private void PublishSinglePair(Figure f)
    {
        var full = J.Obj(f.Json, "full_to_folder");
        if (full is null) { Skipped("publish", "the result has no `full_to_folder` nor `roots` (an older shape)"); return; }
        var wall = J.Num(full, "wall_seconds_from_process_start");
        var before = J.Num(f.Json, "raw_write_same_files", "before", "wall_seconds_from_process_start");
        var after = J.Num(f.Json, "raw_write_same_files", "after", "wall_seconds_from_process_start");
        var vs = J.Obj(f.Json, "publisher_speed_vs_raw_write");
        var vsMean = J.Num(vs, "vs_mean") ?? J.Ratio(before is { } b && after is { } a ? (a + b) / 2 : null, wall);
        var stages = J.Obj(full, "summary", "stages");
        var noop = J.Num(f.Json, "no_change_incremental", "wall_seconds");
        var noopFull = J.Num(f.Json, "no_change_full", "wall_seconds");
        var s3 = J.Obj(f.Json, "s3rver");
        Table(["measure", "figure"],
        [
            ["products", F.N(J.Num(f.Json, "products"))],
            ["artifacts (stable paths) / files written", F.N(J.Num(full, "artifacts")) + " / " + F.N(J.Num(full, "files_written")) + " (" + F.Bytes(J.Num(full, "summary", "bytes")) + ")"],
            ["full publish, process start → live manifest", F.S(wall) + " = " + F.N(J.Num(full, "artifacts_per_second")) + " artifacts/s"],
            ["of which (stages)", stages is null ? "—" : string.Join(", ", stages.Select(kv => kv.Key + " " + F.S(J.Num(kv.Value))))],
            ["peak RSS, full publish", F.N(J.Num(full, "peak_rss_mib")) + " MiB (target < 600 MiB)"],
            ["baseline: raw write of the same files, before / after", F.S(before) + " / " + F.S(after)],
            ["publisher speed vs raw write (raw time / publish time)", "before " + F.R(J.Num(vs, "vs_before")) + ", after " + F.R(J.Num(vs, "vs_after")) + ", **mean " + F.R(vsMean) + "** (target ≥ 0.8)"],
            ["publish with nothing changed (incremental)", F.S(noop) + " = " + F.N(100 * J.Ratio(noop, wall), 1) + " % of the full publish (target ≤ 10 %)"],
            ["`publish --full` with nothing changed", F.S(noopFull) + ", peak RSS " + F.N(J.Num(f.Json, "no_change_full", "peak_rss_mib")) + " MiB"],
            ["to s3rver", s3 is null ? "—" : F.N(J.Num(s3, "products")) + " products: " + F.N(J.Num(s3, "objects")) + " objects, " + F.N(J.Num(s3, "objects_per_second")) + " objects/s at " + F.N(J.Num(s3, "upload_parallelism")) + " in flight (" + F.S(J.Num(s3, "wall_seconds")) + " wall)"],
        ]);
        PublishHeadline(f, vsMean, "on disk", noop, wall, J.Num(full, "peak_rss_mib"), null);
        Chart(charts.Bars("publish-vs-raw-write", F.Inv($"publish: {F.N(J.Num(f.Json, "products"))} products to a folder vs a raw write (s, lower is better)"), "seconds",
            ["raw write (before)", "full publish", "raw write (after)", "no change", "no change, --full"],
            [new Series("seconds", [before, wall, after, noop, noopFull])], v => F.N(v, 1) + " s",
            roles: ["baseline: raw write of the same files", "Static: publisher", "baseline: raw write of the same files", "Static: publisher", "Static: publisher"]));
    }

    /// <summary>The shape with alternating pairs per folder root (disk, tmpfs), incremental runs, growth and an s3rver sweep.</summary>
    private void PublishByRoot(Figure f, JsonObject roots)
    {
        md.AppendLine(F.Inv($"{F.N(J.Num(f.Json, "products"))} products: {F.N(J.Num(f.Json, "files_written"))} files, {F.Bytes(J.Num(f.Json, "bytes_written"))}; {F.N(J.Num(f.Json, "runs_per_root"))} full publish(es) per folder, each between two raw writes of the same file set.")).AppendLine();
        var rows = new List<string[]>();
        var medians = new List<(string Root, double? Raw, double? Publish, double? Ratio, double? Rss)>();
        foreach (var (root, node) in roots)
        {
            var pairs = J.Objects(node, "pairs").ToList();
            foreach (var p in pairs)
            {
                rows.Add([root, F.N(J.Num(p, "run")), F.S(J.Num(p, "raw_before_s")), F.S(J.Num(p, "publish_s")), F.S(J.Num(p, "raw_after_s")), F.R(J.Num(p, "ratio_vs_mean_raw")), F.N(J.Num(p, "peak_rss_mib")) + " MiB",
                    J.Obj(p, "stages") is { } st ? string.Join(", ", st.Select(kv => kv.Key + " " + F.S(J.Num(kv.Value)))) : "—"]);
            }
            var raw = J.Median(pairs.Select(p => J.Num(p, "raw_before_s") is { } b && J.Num(p, "raw_after_s") is { } a ? (a + b) / 2 : (double?)null));
            var ratio = J.Num(node, "median_ratio") ?? J.Median(pairs.Select(p => J.Num(p, "ratio_vs_mean_raw")));
            rows.Add([F.Inv($"**{root}, median**"), "", "", F.S(J.Median(pairs.Select(p => J.Num(p, "publish_s")))), "", "**" + F.R(ratio) + "** (target ≥ 0.8)", F.N(J.Num(node, "peak_rss_mib_max")) + " MiB (max; target < 600 MiB)", ""]);
            medians.Add((root, raw, J.Median(pairs.Select(p => J.Num(p, "publish_s"))), ratio, J.Num(node, "peak_rss_mib_max")));
        }
        Table(["folder", "run", "raw write before", "full publish", "raw write after", "raw (mean) / publish", "peak RSS", "stages"], rows);
        var full = J.Num(f.Json, "full_to_folder", "wall_seconds_from_process_start");
        var noop = J.Num(f.Json, "no_change_incremental", "wall_seconds");
        var one = J.Num(f.Json, "one_change_incremental", "wall_seconds");
        var noopFull = J.Num(f.Json, "no_change_full", "wall_seconds");
        Table(["publish after the full one", "wall time", "of the full publish"],
        [
            ["nothing changed (incremental)", F.S(noop), F.N(100 * J.Ratio(noop, full), 1) + " % (target ≤ 10 %)"],
            ["one price changed (incremental)", F.S(one), F.N(100 * J.Ratio(one, full), 1) + " %"],
            ["`--full`, nothing changed", F.S(noopFull) + ", peak RSS " + F.N(J.Num(f.Json, "no_change_full", "peak_rss_mib")) + " MiB", F.N(100 * J.Ratio(noopFull, full), 1) + " %"],
        ]);
        var first = medians.FirstOrDefault();
        PublishHeadline(f, J.Num(f.Json, "publisher_speed_vs_raw_write", "vs_mean") ?? first.Ratio, F.Inv($"({first.Root})"), noop, full, J.Num(f.Json, "full_to_folder", "peak_rss_mib") ?? first.Rss, one);
        if (medians.Count > 0)
        {
            Chart(charts.Bars("publish-vs-raw-write", F.Inv($"publish: {F.N(J.Num(f.Json, "products"))} products to a folder vs a raw write (s, median; lower is better)"), "seconds",
                medians.Select(m => m.Root switch { "disk" => "disk (/tmp)", "shm" => "tmpfs (/dev/shm)", _ => m.Root }).ToArray(),
                [new Series("baseline: raw write of the same files (mean of before and after)", medians.Select(m => m.Raw).ToArray()),
                 new Series("Static: full publish", medians.Select(m => m.Publish).ToArray())], v => F.N(v, 1) + " s"));
        }
        var s3 = J.Objects(f.Json, "s3rver_sweep", "runs").ToList();
        if (s3.Count > 0)
        {
            md.AppendLine(F.Inv($"To s3rver, {F.N(J.Num(f.Json, "s3rver_sweep", "products"))} products into a fresh bucket at each upload concurrency (s3rver is one Node process: a report, no target):")).AppendLine();
            Table(["uploads in flight", "objects", "wall time", "objects/s", "MiB/s"], s3.Select(r => new[]
            {
                F.N(J.Num(r, "upload_parallelism")), F.N(J.Num(r, "objects")), F.S(J.Num(r, "wall_s")), F.N(J.Num(r, "objects_per_s")), F.N(J.Num(r, "mib_per_s"), 1),
            }));
            Chart(charts.Bars("publish-s3rver", "publish to s3rver: objects/s by uploads in flight", "objects/s", s3.Select(r => F.N(J.Num(r, "upload_parallelism")) + " in flight").ToArray(),
                [new Series("objects/s", s3.Select(r => J.Num(r, "objects_per_s")).ToArray())], v => F.N(v)));
        }
    }

    private void PublishHeadline(Figure f, double? vsRaw, string where, double? noop, double? full, double? rss, double? one)
    {
        Head("publish_speed_vs_raw_write", vsRaw, F.Inv($"raw-write time / full publish time for the same file set, folder store {where}"), f, "≥ 0.8");
        Head("publish_no_change_fraction_of_full", J.Ratio(noop, full), "an incremental publish with nothing changed / the full publish", f, "≤ 0.10");
        Head("publish_one_change_seconds", one, F.Inv($"an incremental publish of one price change at {F.N(J.Num(f.Json, "products"))} products (s)"), f, null, 2);
        Head("publish_peak_rss_mib", rss, F.Inv($"peak resident memory of a full publish of {F.N(J.Num(f.Json, "products"))} products (MiB)"), f, "< 600", 0);
    }

    /// <summary>Growth with the catalog: the "growth" list of a publish result (full and one-change publish per size), or,
    /// for results without one, each result's own size (publish.json, publish-N.json, publish-quick.json).</summary>
    private void Growth()
    {
        md.AppendLine("### Growth with the catalog").AppendLine();
        var points = new List<(double Products, double? Seconds, double? One, double? Warm, double? Rss, Figure From)>();
        foreach (var f in results.Of("publish"))
        {
            var growth = J.At(f.Json, "growth");
            var entries = growth switch
            {
                JsonArray a => a.OfType<JsonObject>().Select(o => (Key: (string?)null, Entry: o)).ToList(),
                JsonObject o => o.Where(kv => kv.Value is JsonObject).Select(kv => (Key: (string?)kv.Key, Entry: (JsonObject)kv.Value!)).ToList(),
                _ => [],
            };
            if (entries.Count == 0)
            {
                if (J.Num(f.Json, "products") is { } p && J.Num(f.Json, "full_to_folder", "wall_seconds_from_process_start") is { } s)
                    points.Add((p, s, null, null, J.Num(f.Json, "full_to_folder", "peak_rss_mib"), f));
                continue;
            }
            foreach (var (key, e) in entries)
            {
                var products = J.Num(e, "products") ?? (double.TryParse(key, System.Globalization.CultureInfo.InvariantCulture, out var k) ? k : null);
                var seconds = GrowthValue(e, "full_s", "wall_seconds_from_process_start", "wall_seconds", "full_publish_seconds", "publish_seconds", "seconds");
                var one = GrowthValue(e, "one_change_s", "one_change_seconds");
                var rss = GrowthValue(e, "peak_rss_mib", "rss_mib") ?? GrowthValue(e, "peak_rss_kib") / 1024;
                // The warm one-change publishes of publisher run (median, ms), where the result has them.
                var warm = J.Num(e, "publisher_run", "warm_median_ms") / 1000;
                if (products is { } pp && (seconds is not null || rss is not null)) points.Add((pp, seconds, one, warm, rss, f));
            }
        }
        var byCount = points.GroupBy(p => p.Products).Select(g => g.OrderByDescending(p => p.From.Date).First()).OrderBy(p => p.Products).ToList();
        if (byCount.Count == 0) { Skipped("growth", "no publish result has a product count with a full publish time"); return; }
        Table(["products", "full publish", "per 1,000 products", "one change (incremental, a fresh process)", "one change, warm in `publisher run` (median)", "peak RSS", "from"],
            byCount.Select(p => new[]
            {
                F.N(p.Products), F.S(p.Seconds), F.S(p.Seconds * 1000 / p.Products), F.S(p.One), p.Warm is null ? "—" : F.N(p.Warm * 1000) + " ms", p.Rss is null ? "—" : F.N(p.Rss) + " MiB",
                F.Inv($"`{p.From.File}`, {p.From.Mode}, ") + (Stale(p.From) ? "⚠ stale: " : "") + F.Date(p.From.Date),
            }));
        if (byCount.Count < 2)
        {
            Skipped("growth curves", F.Inv($"publish is measured at one catalog size only ({F.N(byCount[0].Products)} products); `BENCH_PRODUCTS=10000 bench/run.sh publish` adds a point"));
            return;
        }
        // One curve a chart: labels of close curves would overlap.
        void Draw(string name, string title, List<(double X, double Y)> xy)
        {
            if (xy.Count >= 2)
                Chart(charts.Growth(name, title, "seconds", [new Curve(title, xy.Select(p => p.X).ToArray(), xy.Select(p => p.Y).ToArray(), xy.Select(p => F.N(p.Y, 1) + " s").ToArray())]));
        }
        Draw("growth-full-publish", "Growth: a full publish to a folder (s)", byCount.Where(p => p.Seconds is not null).Select(p => (p.Products, p.Seconds!.Value)).ToList());
        Draw("growth-one-change", "Growth: an incremental publish of one change (s)", byCount.Where(p => p.One is not null).Select(p => (p.Products, p.One!.Value)).ToList());
        Draw("growth-warm-one-change", "Growth: one change, warm in publisher run (s)", byCount.Where(p => p.Warm is not null).Select(p => (p.Products, p.Warm!.Value)).ToList());
        // Issue 15's target: the warm one-change publish at the largest size measured, against 10,000 products.
        if (byCount.LastOrDefault(p => p.Warm is not null) is { Products: > 10_000 } large && byCount.FirstOrDefault(p => p.Products == 10_000 && p.Warm is not null) is { Warm: not null } small)
        {
            Head("publish_warm_one_change_growth", large.Warm / small.Warm, F.Inv($"a warm one-change publish in publisher run at {F.N(large.Products)} products / at 10,000"), large.From, "≤ 2", 2);
        }
        var mem = byCount.Where(p => p.Rss is not null).ToList();
        if (mem.Count >= 2)
            Chart(charts.Growth("growth-memory", "Growth: peak memory of a full publish (MiB)", "peak RSS (MiB)",
                [new Curve("full publish", mem.Select(p => p.Products).ToArray(), mem.Select(p => p.Rss!.Value).ToArray(), mem.Select(p => F.N(p.Rss) + " MiB").ToArray())]));
        else Skipped("growth of memory", "fewer than two sizes have a peak RSS");
    }

    private static double? GrowthValue(JsonObject e, params string[] keys)
    {
        foreach (var k in keys)
        {
            if (J.Num(e, k) is { } v) return v;
            foreach (var nested in new[] { "full_to_folder", "full_publish", "full" })
            {
                if (J.Num(e, nested, k) is { } w) return w;
            }
        }
        return null;
    }

    private static (double? Rps, double? P50, double? P99) Medians(IEnumerable<JsonObject> pairs, string key)
    {
        var xs = pairs.Select(p => J.Obj(p, key)).ToList();
        return (J.Median(xs.Select(x => J.Num(x, "requests_per_second"))), J.Median(xs.Select(x => J.Num(x, "p50_ms"))), J.Median(xs.Select(x => J.Num(x, "p99_ms"))));
    }

    private void Api(Figure f)
    {
        Source(f);
        var pairs = J.Objects(f.Json, "pairs").ToList();
        if (pairs.Count == 0) { Skipped("api", "the result has no `pairs` (an older shape)"); return; }
        var bare = Medians(pairs, "bare");
        var l1 = Medians(pairs, "api_l1_hit");
        var ratio = J.Num(f.Json, "median_ratio") ?? J.Median(pairs.Select(p => J.Num(p, "ratio")));
        var p99Ratio = J.Num(f.Json, "median_p99_ratio") ?? J.Median(pairs.Select(p => J.Num(p, "p99_ratio")));
        var l2 = J.Obj(f.Json, "c_l2_redis_hit_l1_off");
        var db = J.Obj(f.Json, "d_database_both_caches_off");
        var rows = pairs.Select((p, i) => new[]
        {
            F.N(i + 1), F.Rps(J.Num(p, "bare", "requests_per_second")), F.Rps(J.Num(p, "api_l1_hit", "requests_per_second")), F.R(J.Num(p, "ratio")),
            F.Ms(J.Num(p, "bare", "p99_ms")) + " / " + F.Ms(J.Num(p, "api_l1_hit", "p99_ms")), F.R(J.Num(p, "p99_ratio")),
            F.N(J.Num(p, "bare", "client_cpu"), 2) + " / " + F.N(J.Num(p, "api_l1_hit", "client_cpu"), 2),
        }).ToList();
        rows.Add(["**median**", F.Rps(bare.Rps), F.Rps(l1.Rps), "**" + F.R(ratio) + "** (target ≥ 0.8)", F.Ms(bare.P99) + " / " + F.Ms(l1.P99), "**" + F.R(p99Ratio) + "** (target ≤ 1.5)", ""]);
        Table(["pair", "bare Kestrel (baseline)", "Api L1 hit", "ratio", "p99 bare / Api", "p99 ratio", "wrk CPU bare / Api"], rows);
        Table(["the Api's other paths", "requests/s", "vs bare median", "p50 / p99"],
        [
            ["L2 (Redis) hit, L1 off", F.Rps(J.Num(l2, "requests_per_second")), F.R(J.Ratio(J.Num(l2, "requests_per_second"), bare.Rps)), F.Ms(J.Num(l2, "p50_ms")) + " / " + F.Ms(J.Num(l2, "p99_ms"))],
            ["database, both caches off", F.Rps(J.Num(db, "requests_per_second")), F.R(J.Ratio(J.Num(db, "requests_per_second"), bare.Rps)), F.Ms(J.Num(db, "p50_ms")) + " / " + F.Ms(J.Num(db, "p99_ms"))],
            ["eviction on A seen by B (p50 / p99 / max)", "", "", F.Ms(J.Num(f.Json, "eviction_to_other_instance_ms", "p50")) + " / " + F.Ms(J.Num(f.Json, "eviction_to_other_instance_ms", "p99")) + " / " + F.Ms(J.Num(f.Json, "eviction_to_other_instance_ms", "max"))],
        ]);
        Head("api_l1_hit_over_bare_kestrel", ratio, "the Api's L1 hit requests/s / bench/BareApi's (median of the pairs)", f, "≥ 0.8");
        Head("api_p99_over_bare_kestrel", p99Ratio, "the Api's p99 latency / bench/BareApi's (median of the pairs)", f, "≤ 1.5");
        Chart(charts.Bars("api-throughput", F.Inv($"api: requests/s on one pinned core (median of {pairs.Count} pair(s))"), "requests/s",
            ["bare Kestrel (BareApi)", "Api: L1 hit", "Api: L2 (Redis) hit", "Api: database"],
            [new Series("requests/s", [bare.Rps, l1.Rps, J.Num(l2, "requests_per_second"), J.Num(db, "requests_per_second")])], v => F.N(v),
            roles: ["baseline: bench/BareApi", "Static: the Api", "Static: the Api", "Static: the Api"]));
        Chart(charts.Bars("api-latency", "api: latency percentiles, bare Kestrel vs the Api's L1 hit (ms)", "milliseconds", ["p50", "p99"],
            [new Series("bare Kestrel (BareApi)", [bare.P50, bare.P99]), new Series("Api: L1 hit", [l1.P50, l1.P99])], v => F.N(v, 2)));
    }

    private void EdgeHit(Figure f)
    {
        Source(f);
        var variants = results.Of("edgehit").Where(x => x.Variant != "" && x.Mode == f.Mode).ToList();
        foreach (var v in variants) Source(v, F.Inv($"Variant `{v.Variant}` (varnishd parameters `{J.Str(v.Json, "varnish_params")}`)"));
        var pairs = J.Objects(f.Json, "pairs").ToList();
        if (pairs.Count == 0) { Skipped("edgehit", "the result has no `pairs` (an older shape)"); return; }
        var rows = pairs.Select((p, i) => new[]
        {
            F.N(i + 1), F.Rps(J.Num(p, "synthetic", "requests_per_second")), F.Rps(J.Num(p, "generated", "requests_per_second")), F.Rps(J.Num(p, "bare_kestrel", "requests_per_second")),
            F.R(J.Num(p, "generated_over_synthetic")), F.R(J.Num(p, "synthetic_over_bare")),
            F.Ms(J.Num(p, "synthetic", "p99_ms")) + " / " + F.Ms(J.Num(p, "generated", "p99_ms")) + " / " + F.Ms(J.Num(p, "bare_kestrel", "p99_ms")),
        }).ToList();
        var all = new List<(string Label, Figure Fig, List<JsonObject> Pairs)> { ("the stack's parameters", f, pairs) };
        all.AddRange(variants.Select(v => (F.Inv($"{v.Variant}"), v, J.Objects(v.Json, "pairs").ToList())));
        foreach (var (label, fig, ps) in all)
        {
            var (s, g, b) = (Medians(ps, "synthetic"), Medians(ps, "generated"), Medians(ps, "bare_kestrel"));
            rows.Add([F.Inv($"**median, {label}**"), F.Rps(s.Rps), F.Rps(g.Rps), F.Rps(b.Rps),
                "**" + F.R(J.Num(fig.Json, "median_generated_over_synthetic") ?? J.Median(ps.Select(p => J.Num(p, "generated_over_synthetic")))) + "**",
                F.R(J.Num(fig.Json, "median_synthetic_over_bare") ?? J.Median(ps.Select(p => J.Num(p, "synthetic_over_bare")))),
                F.Ms(s.P99) + " / " + F.Ms(g.P99) + " / " + F.Ms(b.P99)]);
        }
        Table(["pair", "synthetic (Varnish's ceiling)", "generated VCL hit", "bare Kestrel", "generated / synthetic (target ≥ 0.9)", "synthetic / bare", "p99 synthetic / generated / bare"], rows);
        var genOverBare = J.Median(pairs.Select(p => J.Ratio(J.Num(p, "generated", "requests_per_second"), J.Num(p, "bare_kestrel", "requests_per_second"))));
        Head("edge_hit_generated_over_synthetic", J.Num(f.Json, "median_generated_over_synthetic") ?? J.Median(pairs.Select(p => J.Num(p, "generated_over_synthetic"))),
            "a hit through the generated VCL / Varnish's synthetic response of the same size (requests/s, median of the pairs)", f, "≥ 0.9");
        Head("edge_synthetic_over_bare_kestrel", J.Num(f.Json, "median_synthetic_over_bare") ?? J.Median(pairs.Select(p => J.Num(p, "synthetic_over_bare"))),
            "Varnish's synthetic response / bench/BareApi (requests/s, median of the pairs)", f);
        Head("edge_hit_generated_over_bare_kestrel", genOverBare, "a hit through the generated VCL / bench/BareApi (requests/s, median of the pairs)", f);
        var meds = all.Select(a => (a.Label, S: Medians(a.Pairs, "synthetic"), G: Medians(a.Pairs, "generated"), B: Medians(a.Pairs, "bare_kestrel"))).ToList();
        Chart(charts.Bars("edgehit-throughput", "edgehit: requests/s on one pinned core (median of the pairs)", "requests/s",
            meds.Select(m => m.Label.Length > 40 ? m.Label[..40] + "…" : m.Label).ToArray(),
            [new Series("synthetic (Varnish alone)", meds.Select(m => m.S.Rps).ToArray()), new Series("generated VCL hit", meds.Select(m => m.G.Rps).ToArray()),
             new Series("bare Kestrel (BareApi)", meds.Select(m => m.B.Rps).ToArray())], v => F.N(v)));
        var first = meds[0];
        Chart(charts.Bars("edgehit-latency", "edgehit: latency percentiles (ms, the stack's parameters)", "milliseconds", ["p50", "p99"],
            [new Series("synthetic (Varnish alone)", [first.S.P50, first.S.P99]), new Series("generated VCL hit", [first.G.P50, first.G.P99]),
             new Series("bare Kestrel (BareApi)", [first.B.P50, first.B.P99])], v => F.N(v, 2)));
    }

    private void Edge(Figure f)
    {
        Source(f);
        (string Key, string Label)[] cases =
        [
            ("one_product_rename", "rename of one product"), ("site_config_change", "site-config change (banner text)"), ("price_import_1000_products", "price import, 1,000 products"),
        ];
        Table(["change", "stable paths invalidated", "uploaded", "CloudFront entries (tags, wildcards)", "requests", "Hugo's deploy"],
            cases.Where(c => J.Obj(f.Json, c.Key) is not null).Select(c =>
            {
                var o = J.Obj(f.Json, c.Key);
                return new[]
                {
                    c.Label, F.N(J.Num(o, "paths_invalidated")), F.N(J.Num(o, "uploaded")),
                    "**" + F.N(J.Num(o, "cloudfront_entries")) + "** (" + F.N(J.Num(o, "cloudfront_tags")) + ", " + F.N(J.Num(o, "cloudfront_wildcards")) + ")",
                    F.N(J.Num(o, "cloudfront_requests")), "`/*` (everything)",
                };
            }));
        var lat = J.Obj(f.Json, "publish_finished_to_new_bytes_at_varnish_ms");
        md.AppendLine(F.Inv($"Publish finished → new bytes at the local Varnish ({F.N(J.Num(lat, "samples"))} renames): p50 **{F.Ms(J.Num(lat, "p50"))}**, max {F.Ms(J.Num(lat, "max"))} (in the change-to-edge chart below).")).AppendLine();
        Head("edge_publish_to_varnish_p50_ms", J.Num(lat, "p50"), "publish finished → the new bytes at the local Varnish, p50 (ms)", f, null, 1);
        Head("edge_cloudfront_entries_for_1000_price_changes", J.Num(f.Json, "price_import_1000_products", "cloudfront_entries"), "CloudFront invalidation entries for a 1,000-product price import (Hugo: `/*`)", f, null, 0);
    }

    private void Freshness(Figure f)
    {
        Source(f);
        var seq = J.Obj(f.Json, "sequential_changes");
        var burst = J.Obj(f.Json, "burst");
        var per = J.Obj(f.Json, "per_change");
        Table(["measure", "result", "target"],
        [
            [F.Inv($"admin 200 → new bytes at Varnish, {F.N(J.Num(seq, "count"))} sequential changes"), "p50 **" + F.Ms(J.Num(seq, "p50_ms")) + "**, p90 " + F.Ms(J.Num(seq, "p90_ms")) + ", p99 **" + F.Ms(J.Num(seq, "p99_ms")) + "**, max " + F.Ms(J.Num(seq, "max_ms")), "p50 ≤ 1 s, p99 ≤ 2 s"],
            [F.Inv($"burst of {F.N(J.Num(burst, "changes"))} changes in {F.S(J.Num(burst, "seconds"))}"), F.N(J.Num(burst, "publishes")) + " publishes; all visible at the edge **" + F.S(J.Num(burst, "all_visible_after_burst_end_s")) + "** after the burst's end", "within 5 s"],
            ["artifacts rendered per single-product change", F.N(J.Num(per, "rendered_min")) + "–" + F.N(J.Num(per, "rendered_max")) + "; equal to its dependents in the index for " + F.N(J.Num(per, "changes_where_rendered_equals_dependents")) + " of " + F.N(J.Num(per, "of")), "exactly its dependents"],
        ]);
        Head("freshness_admin_to_edge_p50_ms", J.Num(seq, "p50_ms"), "admin PUT acknowledged → new bytes at the local Varnish, p50 (ms)", f, "≤ 1000", 1);
        Head("freshness_admin_to_edge_p99_ms", J.Num(seq, "p99_ms"), "admin PUT acknowledged → new bytes at the local Varnish, p99 (ms)", f, "≤ 2000", 1);
        Head("freshness_burst_all_visible_s", J.Num(burst, "all_visible_after_burst_end_s"), "a burst of changes: all visible at the edge this long after the burst's end (s)", f, "≤ 5", 2);
        if (seq is null) { Skipped("freshness", "the result has no `sequential_changes`"); return; }
        Chart(charts.Bars("freshness-latency", F.Inv($"freshness: admin change → new bytes at the edge ({F.N(J.Num(seq, "count"))} changes, ms)"), "milliseconds",
            ["p50", "p90", "p99", "max"], [new Series("ms", [J.Num(seq, "p50_ms"), J.Num(seq, "p90_ms"), J.Num(seq, "p99_ms"), J.Num(seq, "max_ms")])], v => F.N(v),
            marks: [(1000, "p50 target 1 s"), (2000, "p99 target 2 s")]));
    }

    /// <summary>One chart of every change-to-edge figure the results have: admin write, publish, price change, client.</summary>
    private void ChangeToEdge()
    {
        md.AppendLine("## Change to edge: every path from a change to the new bytes").AppendLine();
        md.AppendLine("**Compares.** The time from a change to its new bytes where a reader sees them, as each benchmark measures it (p50 or median, and max).").AppendLine();
        var items = new List<(string Label, double? P50, double? Max, Figure From)>();
        if (results.Primary("freshness") is { } fr)
            items.Add(("admin PUT → edge (freshness)", J.Num(fr.Json, "sequential_changes", "p50_ms"), J.Num(fr.Json, "sequential_changes", "max_ms"), fr));
        if (results.Primary("edge") is { } ed)
            items.Add(("publish done → Varnish (edge)", J.Num(ed.Json, "publish_finished_to_new_bytes_at_varnish_ms", "p50"), J.Num(ed.Json, "publish_finished_to_new_bytes_at_varnish_ms", "max"), ed));
        if (results.Primary("surge") is { } su)
        {
            items.Add(("price PUT → edge, base load (surge)", J.Num(su.Json, "base", "price_changes", "p50_ms"), J.Num(su.Json, "base", "price_changes", "max_ms"), su));
            items.Add(("price PUT → edge, during surge (surge)", J.Num(su.Json, "surge", "price_changes", "p50_ms"), J.Num(su.Json, "surge", "price_changes", "max_ms"), su));
        }
        if (results.Primary("clients") is { } cl)
        {
            items.Add(("publish → open page, on focus (clients)", J.Num(cl.Json, "summary", "publish_to_page_ms_on_focus_median"), J.Num(cl.Json, "summary", "publish_to_page_ms_on_focus_max"), cl));
            items.Add(("publish → open page, periodic (clients)", J.Num(cl.Json, "summary", "publish_to_page_ms_periodic_median"), J.Num(cl.Json, "summary", "publish_to_page_ms_periodic_max"), cl));
        }
        items = items.Where(i => i.P50 is not null || i.Max is not null).ToList();
        if (items.Count == 0) { Skipped("change to edge", "none of freshness, edge, surge and clients has a result"); return; }
        Table(["path", "p50 / median", "max", "from"], items.Select(i => new[]
        {
            i.Label, F.Ms(i.P50), F.Ms(i.Max), F.Inv($"`{i.From.File}`, {i.From.Mode}, ") + (Stale(i.From) ? "⚠ stale: " : "") + F.Date(i.From.Date),
        }));
        Chart(charts.Bars("change-to-edge", "Change to edge: p50 and max (ms)", "milliseconds", items.Select(i => i.Label).ToArray(),
            [new Series("p50 / median", items.Select(i => i.P50).ToArray()), new Series("max", items.Select(i => i.Max).ToArray())], v => F.N(v), horizontal: true));
    }

    private void Clients(Figure f)
    {
        Source(f);
        var s = J.Obj(f.Json, "summary");
        if (s is null) { Skipped("clients", "the result has no `summary` (an older shape)"); return; }
        var change = J.Num(s, "change_bytes_median");
        var naive = J.Num(s, "naive_refetch_bytes");
        var revisit = J.Num(s, "revisit_bytes");
        Table(["measure", "browser module", "naive refetch (baseline)", "module / baseline"],
        [
            ["one change (bytes, median)", F.Bytes(change) + " in " + F.N(J.Num(s, "change_requests_200_median")) + " requests (shard " + F.N(100 * J.Num(s, "shard_share_of_change_bytes"), 1) + " %)", F.Bytes(naive), F.N(J.Ratio(change, naive), 1) + "×"],
            ["unchanged revisit", F.Bytes(revisit) + " in " + F.N(J.Num(s, "revisit_requests")) + " request", F.Bytes(naive), F.N(J.Ratio(revisit, naive), 2) + "×"],
            ["first visit", F.Bytes(J.Num(f.Json, "first_visit", "bytes_total")) + " in " + F.N(J.Num(f.Json, "first_visit", "requests")) + " requests", "", ""],
            ["publish → open page, on focus", "median " + F.Ms(J.Num(s, "publish_to_page_ms_on_focus_median")) + ", max " + F.Ms(J.Num(s, "publish_to_page_ms_on_focus_max")), "", ""],
            [F.Inv($"publish → open page, periodic (every {F.N(J.Num(f.Json, "refresh_seconds"))} s)"), "median " + F.Ms(J.Num(s, "publish_to_page_ms_periodic_median")) + ", max " + F.Ms(J.Num(s, "publish_to_page_ms_periodic_max")), "", ""],
        ]);
        md.AppendLine(F.Inv($"Catalog: {F.N(J.Num(f.Json, "products"))} products.")).AppendLine();
        Head("clients_change_bytes_over_naive_refetch", J.Ratio(change, naive), "bytes the browser module fetches for one change / a naive refetch of the page's data and page", f, null, 2);
        Head("clients_revisit_bytes_over_naive_refetch", J.Ratio(revisit, naive), "bytes of an unchanged revisit (one 304) / a naive refetch", f, null, 3);
        Chart(charts.Bars("clients-bytes", "clients: bytes for one change and for an unchanged revisit (KiB)", "KiB", ["one product changed", "nothing changed (revisit)"],
            [new Series("browser module (manifest)", [Kib(change), Kib(revisit)]), new Series("naive refetch of what the page holds", [Kib(naive), Kib(naive)])], v => F.N(v, 1)));
    }

    private void Surge(Figure f)
    {
        Source(f);
        var variants = results.Of("surge").Where(x => x.Variant != "").ToList();
        var b = J.Obj(f.Json, "base");
        var s = J.Obj(f.Json, "surge");
        var fl = J.Obj(f.Json, "flood");
        var so = J.Obj(f.Json, "soak");
        if (b is null || s is null) { Skipped("surge", "the result has no `base`/`surge` phases (an older shape)"); return; }
        md.AppendLine(F.Inv($"Catalog: {J.Str(f.Json, "catalog")}.")).AppendLine();
        Table(["phase", "target", "achieved", "edge hit ratio", "p50 / p99", "5xx + socket errors", "429", "PostgreSQL transactions/s"],
        [
            ["base: Zipf over the catalog", F.Rps(J.Num(b, "target_rps")), F.Rps(J.Num(b, "rps")), F.R(J.Num(b, "hit_ratio")), F.Ms(J.Num(b, "p50_ms")) + " / " + F.Ms(J.Num(b, "p99_ms")),
                F.N(J.Num(b, "s5xx") + J.Num(b, "socket_errors")), F.N(J.Num(b, "s429")), F.N(J.Num(b, "db_xacts_per_s"), 1)],
            ["surge: the base + 10× on 20 products", F.Rps(J.Num(s, "target_rps")), F.Rps(J.Num(s, "rps")), F.R(J.Num(s, "hit_ratio")),
                "hot " + F.Ms(J.Num(s, "hot", "p50_ms")) + " / " + F.Ms(J.Num(s, "hot", "p99_ms")) + "; base " + F.Ms(J.Num(s, "base_mix", "p50_ms")) + " / " + F.Ms(J.Num(s, "base_mix", "p99_ms")),
                F.N(J.Num(s, "errors")), F.N(J.Num(s, "s429")), F.N(J.Num(s, "db_xacts_per_s"), 1) + " (" + F.R(J.Num(s, "db_ratio_during_over_before")) + " × before; target ≤ 1.1)"],
            ["flood: unknown ids, random query strings", "", F.Rps(J.Num(fl, "rps")), "", F.Ms(J.Num(fl, "p50_ms")) + " / " + F.Ms(J.Num(fl, "p99_ms")),
                F.N(J.Num(fl, "s5xx") + J.Num(fl, "socket_errors")), F.N(J.Num(fl, "s429")), F.N(J.Num(fl, "db_xacts"), 0) + " transactions (budget " + F.N(J.Num(fl, "allowed")) + ")"],
            ["soak: the Api directly at 80% of its maximum", F.Rps(J.Num(so, "rate")), F.Rps(J.Num(so, "rps")), "", F.Ms(J.Num(so, "p50_ms")) + " / " + F.Ms(J.Num(so, "p99_ms")),
                F.N(J.Num(so, "s5xx") + J.Num(so, "socket_errors")), F.N(J.Num(so, "s429")), "RSS " + F.N(J.Num(so, "rss_after_warmup_mib"), 1) + " → " + F.N(J.Num(so, "rss_end_mib"), 1) + " MiB"],
        ]);
        foreach (var v in variants)
        {
            Source(v, F.Inv($"Variant `{v.Variant}` ({J.Str(v.Json, "catalog")})"));
            md.AppendLine(F.Inv($"Edge hit ratio: base {F.R(J.Num(v.Json, "base", "hit_ratio"))}, surge {F.R(J.Num(v.Json, "surge", "hit_ratio"))}; PostgreSQL during/before {F.R(J.Num(v.Json, "surge", "db_ratio_during_over_before"))}; errors {F.N(J.Num(v.Json, "surge", "errors"))}.")).AppendLine();
        }
        Head("surge_edge_hit_ratio_during_surge", J.Num(s, "hit_ratio"), "share of the surge's requests the edge answered from cache", f, null, 4);
        Head("surge_db_during_over_before", J.Num(s, "db_ratio_during_over_before"), "PostgreSQL transactions/s during the surge / before it", f, "≤ 1.1");
        Head("surge_flood_db_over_budget", J.Ratio(J.Num(fl, "db_xacts"), J.Num(fl, "allowed")), "PostgreSQL transactions in the cache-busting flood / the negative-cache budget", f, "≤ 1");
        Head("surge_soak_achieved_over_target", J.Ratio(J.Num(so, "rps"), J.Num(so, "rate")), "the soak's achieved rate / its target (80% of the measured maximum)", f, "≈ 1");
        Chart(charts.Bars("surge-throughput", "surge: target and achieved requests/s", "requests/s", ["base", "surge", "flood", "soak (Api direct)"],
            [new Series("target", [J.Num(b, "target_rps"), J.Num(s, "target_rps"), null, J.Num(so, "rate")]),
             new Series("achieved", [J.Num(b, "rps"), J.Num(s, "rps"), J.Num(fl, "rps"), J.Num(so, "rps")])], v => F.N(v)));
        Chart(charts.Bars("surge-latency", "surge: latency percentiles (ms)", "milliseconds", ["base", "surge: base mix", "surge: hot products", "soak (Api direct)"],
            [new Series("p50", [J.Num(b, "p50_ms"), J.Num(s, "base_mix", "p50_ms"), J.Num(s, "hot", "p50_ms"), J.Num(so, "p50_ms")]),
             new Series("p99", [J.Num(b, "p99_ms"), J.Num(s, "base_mix", "p99_ms"), J.Num(s, "hot", "p99_ms"), J.Num(so, "p99_ms")])], v => F.N(v, 2)));
    }

    private void Storefront(Figure f)
    {
        Source(f);
        (string Key, string Label)[] runs =
        [
            ("first_publish", "first (empty bucket)"), ("css_only_deployment", "CSS-only deployment"), ("back_to_current_design", "back to the current design"), ("one_product_new_image", "one product's new image"),
        ];
        var present = runs.Where(r => J.Obj(f.Json, r.Key) is not null).ToList();
        if (present.Count == 0) { Skipped("storefront", "the result has none of the four publishes"); return; }
        Table(["publish", "full?", "rendered", "uploaded", "objects written", "bytes", "seconds", "paths invalidated"],
            present.Select(r =>
            {
                var o = J.Obj(f.Json, r.Key);
                return new[]
                {
                    r.Label, J.Bool(o, "full") is true ? "yes" : "no", F.N(J.Num(o, "rendered")), F.N(J.Num(o, "uploaded")), F.N(J.Num(o, "objects")),
                    F.Bytes(J.Num(o, "bytes")), F.S(J.Num(o, "seconds")), F.N(J.Num(o, "invalidated")),
                };
            }));
        Head("storefront_css_deploy_objects_over_first_publish", J.Ratio(J.Num(f.Json, "css_only_deployment", "objects"), J.Num(f.Json, "first_publish", "objects")),
            "objects written by a CSS-only deployment / by the first publish", f);
        Chart(charts.Bars("storefront-publish", F.Inv($"storefront: publish time at {F.N(J.Num(f.Json, "products"))} products (s)"), "seconds", present.Select(r => r.Label).ToArray(),
            [new Series("seconds", present.Select(r => J.Num(f.Json, r.Key, "seconds")).ToArray())], v => F.N(v, 1) + " s"));
    }

    private void Lighthouse(Figure f)
    {
        Source(f);
        var pages = J.Objects(f.Json, "pages").ToList();
        if (pages.Count == 0) { Skipped("lighthouse", "the result has no `pages`"); return; }
        var names = pages.Select(p => J.Str(p, "page") ?? "?").Distinct().ToList();
        JsonObject? Page(string name, string form) => pages.FirstOrDefault(p => J.Str(p, "page") == name && J.Str(p, "formFactor") == form);
        Table(["page", "mobile performance", "desktop performance", "accessibility", "best practices", "SEO", "bytes (mobile, transferred)"],
            names.Select(n =>
            {
                var m = Page(n, "mobile");
                var d = Page(n, "desktop");
                var any = m ?? d;
                return new[]
                {
                    F.Inv($"{n} `{new Uri(J.Str(any, "url") ?? "http://x/", UriKind.Absolute).AbsolutePath}`"), F.N(J.Num(m, "scores", "performance")), F.N(J.Num(d, "scores", "performance")),
                    F.N(J.Num(any, "scores", "accessibility")), F.N(J.Num(any, "scores", "best-practices")), F.N(J.Num(any, "scores", "seo")),
                    F.Bytes(J.Num(m, "bytes", "total")) + " in " + F.N(J.Num(m, "requests", "total")) + " requests",
                };
            }));
        Head("lighthouse_min_mobile_performance", pages.Where(p => J.Str(p, "formFactor") == "mobile").Select(p => J.Num(p, "scores", "performance")).Min(),
            "the lowest mobile performance score of the measured pages", f, null, 0);
    }

    private void Micro(Figure f)
    {
        Source(f);
        var rows = J.Objects(f.Json, "results").ToList();
        if (rows.Count == 0) { Skipped("micro", "the result has no `results`"); return; }
        if (J.Bool(f.Json, "quick") is true) md.AppendLine("BenchmarkDotNet's short run (quick): fewer iterations, wider error bars.").AppendLine();
        Table(["benchmark", "method", "mean", "error", "std dev", "allocated / op", "operations/s"],
            rows.Select(r => new[]
            {
                J.Str(r, "name") ?? "", "`" + (J.Str(r, "method") ?? "") + "`", F.Ns(J.Num(r, "mean_ns")), F.Ns(J.Num(r, "error_ns")), F.Ns(J.Num(r, "stddev_ns")),
                F.Bytes(J.Num(r, "allocated_bytes_per_op")), F.N(J.Num(r, "operations_per_second")),
            }));
    }
}
