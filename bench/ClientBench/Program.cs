using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Npgsql;

// bench/clients.sh runs this against its own published 100,000-product shop. Environment:
//   BENCH_EDGE (the edge URL), BENCH_PRODUCT (id), BENCH_ROUNDS, BENCH_REFRESH (the pages' refresh seconds),
//   BENCH_PUBLISH (a command that runs one incremental publish), STATIC_DATABASE.
var edge = Environment.GetEnvironmentVariable("BENCH_EDGE") ?? throw new InvalidOperationException("BENCH_EDGE is not set");
var product = long.Parse(Environment.GetEnvironmentVariable("BENCH_PRODUCT") ?? "4242", CultureInfo.InvariantCulture);
var rounds = int.Parse(Environment.GetEnvironmentVariable("BENCH_ROUNDS") ?? "5", CultureInfo.InvariantCulture);
var refresh = int.Parse(Environment.GetEnvironmentVariable("BENCH_REFRESH") ?? "5", CultureInfo.InvariantCulture);
var publish = Environment.GetEnvironmentVariable("BENCH_PUBLISH") ?? throw new InvalidOperationException("BENCH_PUBLISH is not set");
var database = Environment.GetEnvironmentVariable("STATIC_DATABASE") ?? throw new InvalidOperationException("STATIC_DATABASE is not set");
var pageUrl = $"{edge}/products/{product}.html";
var dataPath = $"/products/{product}.json";

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true });
await using var dataSource = NpgsqlDataSource.Create(database);
using var http = new HttpClient();
var log = new List<Transfer>();
var context = await browser.NewContextAsync();
var page = await context.NewPageAsync();
// Chromium reports a 304 to the module's no-store fetch as a response and then as a failed request (no body
// follows), so RequestFinished never fires for it: 304s are recorded from the response, with their headers.
page.Response += async (_, response) =>
{
    if (response.Status != 304 || response.Request.ResourceType != "fetch")
    {
        return;
    }

    var headers = (await response.HeadersArrayAsync()).Sum(h => h.Name.Length + h.Value.Length + 4) + 17;
    var sent = (await response.Request.HeadersArrayAsync()).Sum(h => h.Name.Length + h.Value.Length + 4) + 20;
    lock (log)
    {
        log.Add(new Transfer(new Uri(response.Url).AbsolutePath, 304, 0, headers + sent));
    }
};
page.RequestFinished += async (_, request) =>
{
    var path = new Uri(request.Url).AbsolutePath;
    if (request.ResourceType != "fetch")
    {
        return;
    }

    var response = await request.ResponseAsync();
    if (response?.Status == 304)
    {
        return;   // recorded above
    }

    var sizes = await request.SizesAsync();
    lock (log)
    {
        log.Add(new Transfer(path, response?.Status ?? 0, sizes.ResponseBodySize, sizes.ResponseHeadersSize + sizes.RequestHeadersSize));
    }
};

await OpenAsync();
var firstVisit = Take();
await OpenAsync();
await Task.Delay(500);
var revisit = Take();

// The naive client: no manifest, so it refetches what it holds (the page's data and the page) in full.
var naive = new List<Transfer>();
foreach (var path in new[] { dataPath, $"/products/{product}.html" })
{
    using var response = await http.GetAsync(new Uri(edge + path));
    var body = await response.Content.ReadAsByteArrayAsync();
    naive.Add(new Transfer(path, (int)response.StatusCode, body.Length, HeaderBytes(response)));
}

var focusRounds = new List<JsonObject>();
var periodicRounds = new List<JsonObject>();
for (var round = 1; round <= rounds * 2; round++)
{
    var onFocus = round % 2 == 1;   // alternate the two ways a page learns of a change
    var name = $"Bench Rename {round} {DateTime.UtcNow:HHmmssfff}";
    await using (var update = dataSource.CreateCommand("update products set name = @name where id = @id"))
    {
        update.Parameters.AddWithValue("name", name);
        update.Parameters.AddWithValue("id", product);
        await update.ExecuteNonQueryAsync();
    }

    Take();
    await RunAsync(publish);
    var published = Stopwatch.StartNew();
    while (await page.TextContentAsync("h1") != name)
    {
        if (onFocus)
        {
            await page.EvaluateAsync("() => window.dispatchEvent(new Event('focus'))");
        }

        await Task.Delay(onFocus ? 250 : 50);
        if (published.Elapsed > TimeSpan.FromSeconds(refresh + 30))
        {
            throw new InvalidOperationException($"the page did not show '{name}' within {published.Elapsed}");
        }
    }

    var shown = published.Elapsed.TotalMilliseconds;
    await Task.Delay(300);
    var transfers = Take();
    var changed = transfers.Where(t => t.Status == 200).ToList();
    var result = new JsonObject
    {
        ["round"] = round,
        ["ms_publish_to_page"] = Math.Round(shown),
        ["requests_200"] = changed.Count,
        ["requests_304"] = transfers.Count(t => t.Status == 304),
        ["paths_200"] = new JsonArray([.. changed.Select(t => JsonValue.Create(t.Path))]),
        ["bytes_total"] = transfers.Sum(t => t.Total),
        ["bytes_root"] = changed.Where(t => t.Path == "/manifest.json").Sum(t => t.Total),
        ["bytes_shards"] = changed.Where(t => t.Path.StartsWith("/_manifest/", StringComparison.Ordinal)).Sum(t => t.Total),
        ["bytes_entries"] = changed.Where(t => t.Path.StartsWith("/_immutable/", StringComparison.Ordinal)).Sum(t => t.Total),
    };
    (onFocus ? focusRounds : periodicRounds).Add(result);
    Console.Error.WriteLine($"round {round} ({(onFocus ? "focus" : "periodic")}): {result.ToJsonString()}");
}

var output = new JsonObject
{
    ["page"] = pageUrl,
    ["refresh_seconds"] = refresh,
    ["first_visit"] = Summary(firstVisit),
    ["revisit_unchanged"] = Summary(revisit),
    ["naive_refetch_of_held"] = Summary(naive),
    ["change_on_focus"] = new JsonArray([.. focusRounds]),
    ["change_periodic"] = new JsonArray([.. periodicRounds]),
};
Console.WriteLine(output.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
return 0;

async Task OpenAsync()
{
    await page.GotoAsync(pageUrl);
    await page.WaitForFunctionAsync("() => document.documentElement.dataset.staticReady === 'true'", null, new() { Timeout = 30_000 });
}

List<Transfer> Take()
{
    lock (log)
    {
        var taken = log.ToList();
        log.Clear();
        return taken;
    }
}

static long HeaderBytes(HttpResponseMessage response) =>
    response.Headers.Concat(response.Content.Headers).Sum(h => h.Key.Length + 4 + h.Value.Sum(v => v.Length)) + 17;

static JsonObject Summary(List<Transfer> transfers) => new()
{
    ["requests"] = transfers.Count,
    ["statuses"] = new JsonArray([.. transfers.Select(t => JsonValue.Create($"{t.Status} {t.Path}"))]),
    ["bytes_total"] = transfers.Sum(t => t.Total),
    ["bytes_bodies"] = transfers.Sum(t => t.Body),
};

static async Task RunAsync(string command)
{
    var start = new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
    using var process = Process.Start(start)!;
    var stderr = process.StandardError.ReadToEndAsync();
    await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"'{command}' failed ({process.ExitCode}): {await stderr}");
    }
}

internal sealed record Transfer(string Path, int Status, long Body, long Headers)
{
    public long Total => Body + Headers;
}
