using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Static.Publisher.Publishing;
using Static.Shared.Catalog;

namespace Static.Publisher.Cli;

/// <summary><c>publisher publish [--full] [--dry-run] [--json]</c>.</summary>
internal static class PublishCommand
{
    private const int ListLimit = 50;

    public static Command Create(PublisherCli.CliContext context)
    {
        var full = new Option<bool>("--full") { Description = "Re-render every artifact (still uploads only what differs)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan (uploads, deletes, invalidations) and touch nothing." };
        var json = new Option<bool>("--json") { Description = "Print one JSON summary line instead of text." };
        var command = new Command("publish", "Render the catalog and publish what changed to the object store.") { full, dryRun, json };
        command.SetAction((parse, cancellationToken) => context.RunAsync(async (services, ct) =>
        {
            await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct).ConfigureAwait(false);
            var publisher = services.GetRequiredService<SitePublisher>();
            var options = new PublishOptions(parse.GetValue(full), parse.GetValue(dryRun), "cli");
            var asJson = parse.GetValue(json);

            PublishResult result;
            if (context.Interactive && !asJson)
            {
                result = await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask("planning", maxValue: 1);
                        var progress = new SynchronousProgress(p =>
                        {
                            task.Description = p.Stage;
                            task.MaxValue = Math.Max(1, p.Total);
                            task.Value = p.Done;
                        });
                        var r = await publisher.PublishAsync(options, progress, ct).ConfigureAwait(false);
                        task.Value = task.MaxValue;
                        return r;
                    }).ConfigureAwait(false);
            }
            else
            {
                result = await publisher.PublishAsync(options, null, ct).ConfigureAwait(false);
            }

            if (asJson)
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(Summary(result), CliJsonContext.Default.PublishSummary)).ConfigureAwait(false);
            }
            else
            {
                await WriteTextAsync(context.Out, result).ConfigureAwait(false);
                if (result.DryRun && result.Invalidations.Count > 0)
                {
                    var batches = Edge.InvalidationPlanner.Plan(result.Invalidation ?? Edge.InvalidationRequest.PathsOnly(result.Invalidations), services.GetRequiredService<Shared.Configuration.PublishConfig>().Cdn.CloudFront);
                    var entries = batches.SelectMany(b => b).ToList();
                    await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"CloudFront would get {entries.Count} entries in {batches.Count} request(s) ({entries.Count(e => e.EndsWith('*'))} wildcards, {entries.Count(e => e.StartsWith('#'))} tags): {string.Join(' ', entries.Take(20))}{(entries.Count > 20 ? " ..." : "")}")).ConfigureAwait(false);
                }
            }

            return PublisherCli.ExitOk;
        }, cancellationToken, publishing: true));
        return command;
    }

    private static PublishSummary Summary(PublishResult r) => new(
        r.Version, r.Run, r.DryRun, r.Full, r.Artifacts, r.Rendered, r.Uploaded, r.Unchanged, r.Deleted,
        r.Invalidations.Count, r.InvalidationsSent, r.InvalidationsPending, r.ObjectsWritten, r.BytesUploaded, Math.Round(r.Elapsed.TotalSeconds, 3), r.Stages);

    private static async Task WriteTextAsync(TextWriter output, PublishResult r)
    {
        var c = CultureInfo.InvariantCulture;
        if (r.DryRun)
        {
            await output.WriteLineAsync(string.Create(c,
                $"Dry run ({(r.Full ? "full" : "incremental")}): {r.Artifacts} artifacts, {r.Rendered} rendered, {r.Uploaded} to upload, {r.Unchanged} unchanged, {r.Deleted} to delete, {r.Invalidations.Count} to invalidate; nothing was written.")).ConfigureAwait(false);
            await ListAsync(output, "upload", r.UploadedPaths).ConfigureAwait(false);
            await ListAsync(output, "delete", r.DeletedPaths).ConfigureAwait(false);
            await ListAsync(output, "invalidate", r.Invalidations).ConfigureAwait(false);
            await ListAsync(output, "object", r.ObjectKeysWritten).ConfigureAwait(false);
            return;
        }

        await output.WriteLineAsync(string.Create(c,
            $"Published ({(r.Full ? "full" : "incremental")}, run {r.Run}): live version {r.Version}; {r.Artifacts} artifacts, {r.Rendered} rendered, {r.Uploaded} uploaded, {r.Unchanged} unchanged, {r.Deleted} deleted, {r.Invalidations.Count} paths to invalidate ({r.InvalidationsSent} sent to the CDN{(r.InvalidationsPending > 0 ? $", {r.InvalidationsPending} batches pending" : "")}); {r.ObjectsWritten} objects, {r.BytesUploaded / 1024.0:0.0} KiB in {r.Elapsed.TotalSeconds:0.00} s.")).ConfigureAwait(false);
        if (r.SampleCheck is { Problems.Count: > 0 } sample)
        {
            await output.WriteLineAsync($"Sample check: {Operations.StoreVerifier.Describe(sample)}").ConfigureAwait(false);
        }
    }

    private static async Task ListAsync(TextWriter output, string verb, IReadOnlyList<string> items)
    {
        foreach (var item in items.Take(ListLimit))
        {
            await output.WriteLineAsync($"  {verb,-10} {item}").ConfigureAwait(false);
        }

        if (items.Count > ListLimit)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {verb,-10} ... and {items.Count - ListLimit} more")).ConfigureAwait(false);
        }
    }

    /// <summary>Calls back on the reporting thread (Progress&lt;T&gt; would post to the thread pool out of order).</summary>
    private sealed class SynchronousProgress(Action<PublishProgress> report) : IProgress<PublishProgress>
    {
        private readonly Lock gate = new();

        public void Report(PublishProgress value)
        {
            lock (gate)
            {
                report(value);
            }
        }
    }
}
