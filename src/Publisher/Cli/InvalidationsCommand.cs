using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Static.Publisher.Edge;
using Static.Shared.Catalog;

namespace Static.Publisher.Cli;

/// <summary>
/// <c>publisher invalidations [--retry ID|all] [--json]</c>: the invalidation batches owed to the CDN, pending
/// and parked, and a way to send a parked one again. Exit codes: 0 listed, or every retried batch delivered;
/// 1 a retried batch was refused again (or there was none to retry); 2 a malformed <c>--retry</c>.
/// </summary>
internal static class InvalidationsCommand
{
    public static Command Create(PublisherCli.CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "One JSON document instead of a table." };
        var retry = new Option<string?>("--retry")
        {
            Description = "Make batch ID (or 'all' parked batches) pending again with its attempts reset, and send it to the CDN now.",
            HelpName = "ID|all",
        };
        retry.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && ParseTarget(r.Tokens[0].Value) is null)
            {
                r.AddError($"--retry must be a batch id (a whole number, 1 or more; see 'publisher invalidations') or 'all'; got '{r.Tokens[0].Value}'.");
            }
        });
        var command = new Command(
            "invalidations",
            "List the invalidation batches owed to the CDN (pending, and parked: refused for good), or send parked ones again with --retry.") { retry, json };
        command.SetAction((parse, cancellationToken) => context.RunAsync(async (services, ct) =>
        {
            await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct).ConfigureAwait(false);
            var invalidations = services.GetRequiredService<PendingInvalidations>();
            return parse.GetValue(retry) is { } target
                ? await RetryAsync(context, invalidations, ParseTarget(target)!.Value, parse.GetValue(json), ct).ConfigureAwait(false)
                : await ListAsync(context, invalidations, parse.GetValue(json), ct).ConfigureAwait(false);
        }, cancellationToken, publishing: true));
        return command;
    }

    /// <summary>"all" → (true, null); a positive id → (false, id); anything else → null.</summary>
    private static (bool All, long? Id)? ParseTarget(string value) =>
        string.Equals(value, "all", StringComparison.OrdinalIgnoreCase) ? (true, null)
        : long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id >= 1 ? (false, id)
        : null;

    private static async Task<int> ListAsync(PublisherCli.CliContext context, PendingInvalidations invalidations, bool json, CancellationToken cancellationToken)
    {
        var rows = await invalidations.ListAsync(cancellationToken).ConfigureAwait(false);
        if (json)
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(rows.ToList(), InvalidationsJsonContext.Default.ListOwedInvalidation)).ConfigureAwait(false);
            return PublisherCli.ExitOk;
        }

        if (rows.Count == 0)
        {
            await context.Out.WriteLineAsync("No invalidations owed: the CDN has taken every batch.").ConfigureAwait(false);
            return PublisherCli.ExitOk;
        }

        var c = CultureInfo.InvariantCulture;
        await context.Out.WriteLineAsync($"{"id",8}  {"version",8}  {"state",-7}  {"attempts",8}  {"paths",6}  {"age",7}  {"next attempt (UTC)",-19}  last error").ConfigureAwait(false);
        foreach (var r in rows)
        {
            var next = r.State == "parked" ? "-" : r.NextAttemptAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", c);
            await context.Out.WriteLineAsync(string.Create(c,
                $"{r.Id,8}  {r.Version,8}  {r.State,-7}  {r.Attempts,8}  {r.Paths,6}  {Age(r.AgeSeconds),7}  {next,-19}  {OneLine(r.LastError)}")).ConfigureAwait(false);
        }

        var parked = rows.Count(r => r.State == "parked");
        if (parked > 0)
        {
            await context.Out.WriteLineAsync(
                $"{parked} parked: the CDN refused them for good; the edge may serve old copies until their TTL. Once it accepts them: publisher invalidations --retry ID (or --retry all).").ConfigureAwait(false);
        }

        return PublisherCli.ExitOk;
    }

    private static async Task<int> RetryAsync(
        PublisherCli.CliContext context, PendingInvalidations invalidations, (bool All, long? Id) target, bool json, CancellationToken cancellationToken)
    {
        var outcomes = await invalidations.RetryAsync(target.Id, cancellationToken).ConfigureAwait(false);
        if (json)
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(outcomes.ToList(), InvalidationsJsonContext.Default.ListInvalidationOutcome)).ConfigureAwait(false);
        }
        else
        {
            foreach (var o in outcomes)
            {
                await context.Out.WriteLineAsync(o.State switch
                {
                    "delivered" => $"Batch {o.Id} (version {o.Version}, {o.Paths} paths): delivered to the CDN.",
                    "parked" => $"Batch {o.Id} (version {o.Version}, {o.Paths} paths): refused again and parked: {OneLine(o.Error)}",
                    _ => $"Batch {o.Id} (version {o.Version}, {o.Paths} paths): refused again; pending, sent again by the next publish or drain once due: {OneLine(o.Error)}",
                }).ConfigureAwait(false);
            }
        }

        if (outcomes.Count == 0 && target.All)
        {
            if (!json)
            {
                await context.Out.WriteLineAsync("No parked invalidation batch to retry.").ConfigureAwait(false);
            }

            return PublisherCli.ExitOk;
        }

        if (outcomes.Count == 0)
        {
            await context.Error.WriteLineAsync($"error: there is no invalidation batch {target.Id} (delivered batches are deleted; see 'publisher invalidations').").ConfigureAwait(false);
            return PublisherCli.ExitFailed;
        }

        return outcomes.All(o => o.State == "delivered") ? PublisherCli.ExitOk : PublisherCli.ExitFailed;
    }

    private static string Age(double seconds) =>
        seconds < 120 ? string.Create(CultureInfo.InvariantCulture, $"{seconds:0}s")
        : seconds < 7200 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:0}m")
        : seconds < 172_800 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:0}h")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds / 86400:0}d");

    private static string OneLine(string? text)
    {
        if (text is null)
        {
            return "";
        }

        var line = text.ReplaceLineEndings(" ");
        return line.Length <= 160 ? line : line[..157] + "...";
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<OwedInvalidation>))]
[JsonSerializable(typeof(List<InvalidationOutcome>))]
internal sealed partial class InvalidationsJsonContext : JsonSerializerContext;
