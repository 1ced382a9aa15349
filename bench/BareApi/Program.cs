// bench/BareApi: the independent baseline for the Api's L1 hit (bench/api.sh).
//   dotnet BareApi.dll DIR      serves DIR/{id}.json as /products/{id}.json; DIR/{id}.json.headers holds three
//                               lines, the Content-Type, ETag and Cache-Control the Api gave for that path.
// Listens on ASPNETCORE_URLS. Logging at Warning, as the Api runs in the benchmark.
using System.Collections.Frozen;
using Microsoft.Extensions.Primitives;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();

var dir = args.Length > 0 ? args[0] : throw new ArgumentException("usage: BareApi DIR (DIR/{id}.json and DIR/{id}.json.headers)");
var products = Directory.GetFiles(dir, "*.json").ToFrozenDictionary(
    f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture),
    f =>
    {
        var headers = File.ReadAllLines(f + ".headers");
        return new Product(File.ReadAllBytes(f), headers[0], headers[1], headers[2]);
    });

app.MapGet("/products/{id}.json", (long id, HttpContext http) =>
{
    if (!products.TryGetValue(id, out var p))
    {
        return Results.NotFound();
    }

    var response = http.Response;
    response.Headers.ETag = p.ETag;
    response.Headers.CacheControl = p.CacheControl;
    if (http.Request.Headers.IfNoneMatch == p.ETag)
    {
        return Results.StatusCode(StatusCodes.Status304NotModified);
    }

    return Results.Bytes(p.Body, p.ContentType);
});

app.Run();

internal sealed record Product(byte[] Body, string ContentType, StringValues ETag, StringValues CacheControl);
