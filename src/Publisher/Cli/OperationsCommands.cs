using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Static.Publisher.Operations;
using Static.Shared.Catalog;
using Static.Shared.Publishes;

namespace Static.Publisher.Cli;

/// <summary><c>versions</c>, <c>rollback</c>, <c>resume</c>, <c>gc</c> and <c>verify</c>.</summary>
internal static class OperationsCommands
{
    public static IEnumerable<Command> Create(PublisherCli.CliContext context)
    {
        yield return Versions(context);
        yield return Rollback(context);
        yield return Resume(context);
        yield return Gc(context);
        yield return Verify(context);
    }

    private static Command Versions(PublisherCli.CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "One JSON document instead of a table." };
        var limit = new Option<int>("--limit") { Description = "How many versions, newest first (default 50).", DefaultValueFactory = _ => 50 };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 100_000)
            {
                r.AddError("--limit must be between 1 and 100000.");
            }
        });
        var command = new Command("versions", "List published versions: time, state, counts, bytes, errors; marks the live and the pinned one.") { json, limit };
        command.SetAction((parse, cancellationToken) => context.RunAsync(async (services, ct) =>
        {
            await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct).ConfigureAwait(false);
            var rows = await services.GetRequiredService<VersionHistory>().ListAsync(parse.GetValue(limit), ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(rows.ToList(), OperationsJsonContext.Default.ListVersionRow)).ConfigureAwait(false);
                return PublisherCli.ExitOk;
            }

            if (rows.Count == 0)
            {
                await context.Out.WriteLineAsync("No versions yet: run 'publisher publish'.").ConfigureAwait(false);
                return PublisherCli.ExitOk;
            }

            var c = CultureInfo.InvariantCulture;
            await context.Out.WriteLineAsync($"{"version",8}  {"",6}  {"state",-9}  {"trigger",-9}  {"started (UTC)",-19}  {"secs",6}  {"artifacts",9}  {"uploaded",8}  {"deleted",7}  {"KiB",9}  note").ConfigureAwait(false);
            foreach (var r in rows)
            {
                var mark = r.Live ? "live" : r.Pinned ? "pinned" : "";
                if (r.Live && r.Pinned)
                {
                    mark = "live*";
                }

                var seconds = r.FinishedAt is { } f ? (f - r.StartedAt).TotalSeconds.ToString("0.0", c) : "-";
                var note = r.Error ?? (r.RestoredVersion is { } v ? $"restored version {v}" : r.HasManifest ? "" : "no change");
                await context.Out.WriteLineAsync(string.Create(c,
                    $"{r.Version,8}  {mark,6}  {r.State,-9}  {r.Trigger,-9}  {r.StartedAt.UtcDateTime,-19:yyyy-MM-dd HH:mm:ss}  {seconds,6}  {r.Artifacts?.ToString(c) ?? "-",9}  {r.Uploaded?.ToString(c) ?? "-",8}  {r.Deleted?.ToString(c) ?? "-",7}  {(r.BytesUploaded is { } b ? (b / 1024.0).ToString("0.0", c) : "-"),9}  {note}")).ConfigureAwait(false);
            }

            if (rows.Any(r => r.Pinned))
            {
                await context.Out.WriteLineAsync("Publishing is paused by a rollback: 'publisher resume' publishes the current catalog again.").ConfigureAwait(false);
            }

            return PublisherCli.ExitOk;
        }, cancellationToken, publishing: true));
        return command;
    }

    private static Command Rollback(PublisherCli.CliContext context)
    {
        var to = new Option<long>("--to") { Description = "The version to restore (see 'publisher versions').", Required = true };
        to.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() < 1)
            {
                r.AddError("--to must be a version number (1 or more).");
            }
        });
        var command = new Command("rollback", "Restore a version's exact bytes on every stable path, make its manifest live, and pause publishing until 'resume'.") { to };
        command.SetAction((parse, cancellationToken) => context.RunAsync(async (services, ct) =>
        {
            await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct).ConfigureAwait(false);
            try
            {
                var r = await services.GetRequiredService<RollbackService>().RollbackAsync(parse.GetValue(to), ct).ConfigureAwait(false);
                await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Rolled back to version {r.RestoredVersion} (run {r.Run}): {r.Restored} paths restored, {r.Deleted} deleted, {r.Unchanged} already identical, {r.Invalidations.Count} paths to invalidate; {r.Elapsed.TotalSeconds:0.00} s.")).ConfigureAwait(false);
                await context.Out.WriteLineAsync($"Publishing is paused: version {r.RestoredVersion} stays live until 'publisher resume'.").ConfigureAwait(false);
                return PublisherCli.ExitOk;
            }
            catch (RollbackException e)
            {
                await context.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return PublisherCli.ExitFailed;
            }
        }, cancellationToken, publishing: true));
        return command;
    }

    private static Command Resume(PublisherCli.CliContext context)
    {
        var command = new Command("resume", "Clear a rollback's pin and publish the current catalog (full render).");
        command.SetAction((_, cancellationToken) => context.RunAsync(async (services, ct) =>
        {
            await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct).ConfigureAwait(false);
            var (pinned, r) = await services.GetRequiredService<PublisherOperations>().ResumeAsync(null, ct).ConfigureAwait(false);
            await context.Out.WriteLineAsync(pinned is { } v ? $"Unpinned version {v}." : "Nothing was pinned.").ConfigureAwait(false);
            await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Published the current catalog (run {r.Run}): live version {r.Version}; {r.Uploaded} uploaded, {r.Unchanged} unchanged, {r.Deleted} deleted in {r.Elapsed.TotalSeconds:0.00} s.")).ConfigureAwait(false);
            return PublisherCli.ExitOk;
        }, cancellationToken, publishing: true));
        return command;
    }

    private static Command Gc(PublisherCli.CliContext context)
    {
        var force = new Option<bool>("--force") { Description = "Delete even when that is more than retention.maxDeletesPerRun objects." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be deleted and delete nothing." };
        var command = new Command("gc", "Delete immutable objects and manifest shards that no kept version references.") { force, dryRun };
        command.SetAction((parse, cancellationToken) => context.RunAsync(async (services, ct) =>
        {
            await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct).ConfigureAwait(false);
            try
            {
                var r = await services.GetRequiredService<GarbageCollector>().CollectAsync(parse.GetValue(force), parse.GetValue(dryRun), ct).ConfigureAwait(false);
                var verb = r.DryRun ? "would delete" : "deleted";
                await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"gc {verb} {r.Deleted.Count} of {r.Listed} content-addressed objects; kept versions {string.Join(", ", r.KeptVersions)} ({r.Referenced} objects referenced); {r.TooYoung} unreferenced objects younger than the grace period left alone.")).ConfigureAwait(false);
                if (r.DryRun)
                {
                    foreach (var key in r.Deleted.Take(100))
                    {
                        await context.Out.WriteLineAsync($"  delete {key}").ConfigureAwait(false);
                    }
                }

                return PublisherCli.ExitOk;
            }
            catch (GcCapExceededException e)
            {
                await context.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return PublisherCli.ExitFailed;
            }
        }, cancellationToken, publishing: true));
        return command;
    }

    private static Command Verify(PublisherCli.CliContext context)
    {
        const int listLimit = 50;
        var repair = new Option<bool>("--repair") { Description = "Write back the live version's exact bytes for what is missing or wrong, and invalidate those paths at the edge." };
        var deep = new Option<bool>("--deep") { Description = "Read and hash every object instead of a HEAD (catches an overwrite that kept the sha256 metadata)." };
        var parallelism = new Option<int?>("--parallelism") { Description = "Requests in flight (1..256; default publish.verifyParallelism)." };
        parallelism.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && (!int.TryParse(r.Tokens[0].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n is < 1 or > 256))
            {
                r.AddError($"--parallelism must be a whole number between 1 and 256; got '{r.Tokens[0].Value}'.");
            }
        });
        var command = new Command("verify", "Check every object the live manifest names against the store (HEAD each, in parallel); exit 1 when some are missing or wrong.") { repair, deep, parallelism };
        command.SetAction((parse, cancellationToken) => context.RunAsync(async (services, ct) =>
        {
            await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct).ConfigureAwait(false);
            var verifier = services.GetRequiredService<StoreVerifier>();
            var options = new VerifyOptions(parse.GetValue(repair), null, parse.GetValue(parallelism), parse.GetValue(deep));
            VerifyResult r;
            if (context.Interactive)
            {
                // The bar goes to stderr: stdout carries the result.
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Error) });
                r = await console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask("verifying", maxValue: 1);
                        var result = await verifier.VerifyAsync(options, new SynchronousProgress(p =>
                        {
                            task.MaxValue = Math.Max(1, p.Total);
                            task.Value = p.Done;
                        }), ct).ConfigureAwait(false);
                        task.Value = task.MaxValue;
                        return result;
                    }).ConfigureAwait(false);
            }
            else
            {
                // Logs of a long run get a count every few seconds.
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var last = TimeSpan.Zero;
                r = await verifier.VerifyAsync(options, new SynchronousProgress(p =>
                {
                    if (clock.Elapsed - last >= TimeSpan.FromSeconds(5))
                    {
                        last = clock.Elapsed;
                        context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"verify: {p.Done}/{p.Total} objects checked"));
                    }
                }), ct).ConfigureAwait(false);
            }

            await context.Out.WriteLineAsync(StoreVerifier.Describe(r)).ConfigureAwait(false);
            var unrepaired = r.Unrepaired.Select(u => u.Finding.Expected.Key).ToHashSet(StringComparer.Ordinal);
            var lines = r.Repairing
                ? r.Repaired.Select(f => $"  repaired {f}").Concat(r.Unrepaired.Select(u => $"  {u.Finding}: {u.Reason}")).ToList()
                : r.Problems.Select(f => $"  {f}").ToList();
            foreach (var line in lines.Take(listLimit))
            {
                await context.Out.WriteLineAsync(line).ConfigureAwait(false);
            }

            if (lines.Count > listLimit)
            {
                await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  ... and {lines.Count - listLimit} more")).ConfigureAwait(false);
            }

            if (r.Version is not null)
            {
                await context.Out.WriteLineAsync("Image variants (_immutable/img/) are not in the manifest and were not checked.").ConfigureAwait(false);
            }

            if (!r.Healthy && !r.Repairing)
            {
                await context.Out.WriteLineAsync("Run 'publisher verify --repair' to write them back.").ConfigureAwait(false);
            }

            return r.Healthy ? PublisherCli.ExitOk : PublisherCli.ExitFailed;
        }, cancellationToken, publishing: true));
        return command;
    }

    /// <summary>Calls back on the reporting thread, one report at a time.</summary>
    private sealed class SynchronousProgress(Action<Publishing.PublishProgress> report) : IProgress<Publishing.PublishProgress>
    {
        private readonly System.Threading.Lock gate = new();

        public void Report(Publishing.PublishProgress value)
        {
            lock (gate)
            {
                report(value);
            }
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<VersionRow>))]
internal sealed partial class OperationsJsonContext : JsonSerializerContext;
