using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using Static.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Static.IntegrationTests;

/// <summary>
/// Property-based tests (CsCheck) of the admin API and the Api's paths, on a real PostgreSQL and Redis. Sessions of
/// random requests — every admin route and method, bodies from valid to garbage (wrong types, huge and unicode
/// strings, lone surrogates, NUL, negative and huge numbers, missing and extra fields, truncated JSON), odd ids,
/// If-Match values, media types and credentials — must never get a 5xx, every 4xx must be problem details, and
/// afterwards the catalog must hold its invariants and match what was acknowledged. Random paths to the Api must
/// never get a 5xx. Iterations are bounded (the class runs in seconds); a failure prints CsCheck's seed, and
/// <c>CsCheck_Seed=...</c> in the environment replays that case.
/// </summary>
public sealed class AdminPropertyTests : IClassFixture<IsolatedServers>, IAsyncLifetime
{
    private const int Categories = 4;
    private const int Products = 8;
    private const int Sessions = 20;

    private static readonly byte[] Png = DrawPng();

    private readonly IsolatedServers servers;
    private readonly ITestOutputHelper output;

    public AdminPropertyTests(IsolatedServers servers, ITestOutputHelper output)
    {
        this.servers = servers;
        this.output = output;
    }

    /// <summary>
    /// Seeded once per class, not per test: a reseed truncates the catalog and restarts its ids but keeps the outbox,
    /// whose rows would then name other entities than the ones they were written for.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IsolatedServers, Task> Seeded = [];

    public Task InitializeAsync() => Seeded.GetValue(servers, s => PublisherHarness.SeedAsync(s, products: Products, categories: Categories));

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>One request of a session. <see cref="ToString"/> is what a failure prints.</summary>
    public sealed record Call(string Method, string Path, string? ContentType, string? Body, bool Multipart, string? IfMatch, string? Token)
    {
        public override string ToString() =>
            $"{Method} {Path} [{ContentType ?? "no type"}{(IfMatch is null ? "" : ", If-Match " + IfMatch)}{(Token is null ? ", no token" : Token == AdminApiTests.WriteToken ? "" : ", token " + Token[..Math.Min(8, Token.Length)])}] "
            + (Body is null ? "" : Body.Length > 300 ? Body[..300] + $"… ({Body.Length} chars)" : Body);
    }

    /// <summary>Every admin route with the body it takes; the test checks this list against the route table.</summary>
    private static readonly (string Method, string Template, string Body)[] Routes =
    [
        ("GET", "/admin/products/{id}", ""),
        ("POST", "/admin/products", "product"),
        ("PUT", "/admin/products/{id}", "product"),
        ("DELETE", "/admin/products/{id}", ""),
        ("PUT", "/admin/products/{id}/images", "images"),
        ("PUT", "/admin/products/{id}/stock", "stock"),
        ("GET", "/admin/categories/{id}", ""),
        ("POST", "/admin/categories", "category"),
        ("PUT", "/admin/categories/{id}", "category"),
        ("DELETE", "/admin/categories/{id}", ""),
        ("GET", "/admin/config", ""),
        ("PUT", "/admin/config", "config"),
        ("GET", "/admin/publishes", ""),
        ("GET", "/admin/publishes/{id}", ""),
        ("POST", "/admin/republish", "republish"),
    ];

    [Fact]
    public async Task Random_admin_requests_never_get_a_5xx_and_leave_the_catalog_consistent_with_what_was_acknowledged()
    {
        await using var api = new ApiFactory(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], AdminApiTests.Tokens);
        var table = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/admin", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => m + " " + e.RoutePattern.RawText!.Replace("{id:long}", "{id}", StringComparison.Ordinal)))
            .Order().ToList();
        Assert.Equal(table, Routes.Select(r => r.Method + " " + r.Template).Order().ToList());

        using var client = api.CreateClient();
        var model = new Model();
        var configBefore = await ConfigVersionAsync();
        var requests = 0;
        await Session.SampleAsync(async calls =>
        {
            foreach (var call in calls)
            {
                requests++;
                await SendAndCheckAsync(client, call, model);
            }
        }, output.WriteLine, iter: Sessions, threads: 1, print: calls => string.Join(Environment.NewLine, calls));

        output.WriteLine($"{requests} admin requests; {model.Writes} acknowledged writes; {model.Statuses}");
        Assert.True(model.Writes >= 20, $"only {model.Writes} writes were acknowledged: the generators hardly reach the database");
        await CheckInvariantsAsync(model, configBefore);
    }

    /// <summary>Found by the property above (a cycle in the category tree): moving a category under its own descendant is refused.</summary>
    [Fact]
    public async Task A_category_cannot_be_moved_under_its_own_descendant()
    {
        await using var api = new ApiFactory(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], AdminApiTests.Tokens);
        using var client = AdminApiTests.Authorized(api);
        async Task<(int Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string json)
        {
            using var response = await client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
            return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        }

        var (_, top) = await SendAsync(HttpMethod.Post, "/admin/categories", """{"name":"Cycle top"}""");
        var (_, middle) = await SendAsync(HttpMethod.Post, "/admin/categories", $$"""{"name":"Cycle middle","parentId":{{top.GetProperty("id")}}}""");
        var (_, bottom) = await SendAsync(HttpMethod.Post, "/admin/categories", $$"""{"name":"Cycle bottom","parentId":{{middle.GetProperty("id")}}}""");
        var (status, problem) = await SendAsync(HttpMethod.Put, $"/admin/categories/{top.GetProperty("id")}", $$"""{"name":"Cycle top","parentId":{{bottom.GetProperty("id")}}}""");
        Assert.Equal(422, status);
        Assert.Equal("parentId", problem.GetProperty("field").GetString());
        Assert.Null(await ScalarAsync<long?>($"select parent_id from categories where id = {top.GetProperty("id")}"));

        // Moving it elsewhere is fine.
        var (moved, _) = await SendAsync(HttpMethod.Put, $"/admin/categories/{bottom.GetProperty("id")}", $$"""{"name":"Cycle bottom","parentId":{{top.GetProperty("id")}}}""");
        Assert.Equal(200, moved);
    }

    /// <summary>
    /// Random request targets, sent as raw bytes to the Api on Kestrel (the in-process test server cannot even
    /// express some of them, and the real parser is what production runs): never a 5xx.
    /// </summary>
    [Fact]
    public async Task Random_paths_to_the_Api_never_get_a_5xx()
    {
        await using var api = new ApiFactory(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12]);
        api.UseKestrel(0);
        api.StartServer();
        using var client = api.CreateClient();
        var port = client.BaseAddress!.Port;
        var segment = Gen.Frequency<string>(
            (3, Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-_"], 1, 20]),
            (2, Gen.OneOf(".", "..", "...", "%2e%2e", "%2F", "%00", "%", "%zz", "%C0%AF", "%E2%80%AE", "%FF", "index.html", "1.json", "products", "categories", "_manifest",
                "_immutable", "img", "admin", "stock", "manifest.json", "-1.json", "99999999999999999999.json", "2.html", "~", ";", "?", "#", "a b", "+", "\\", "//")),
            (2, Gen.String[0, 30]),                                       // any UTF-16, lone surrogates included
            (1, Gen.String[Gen.Char["é漢😀\u202e\u0000\u00a0"], 1, 10]),
            (1, Gen.Int[200, 3000].Select(n => new string('a', n))));
        var query = Gen.Frequency<string>(
            (3, Gen.OneOf("", "?ids=1,2", "?ids=-1", "?ids=" + string.Join(',', Enumerable.Range(1, 250)), "?ids=abc", "?x=%", "?ids=%00")),
            (1, Gen.String[0, 20].Select(s => "?" + s)));
        var targets = Gen.Select(Gen.OneOf("GET", "HEAD"), segment.Array[1, 6], query, Gen.Bool,
            (method, segments, q, escape) => (Method: method, Target: "/" + string.Join('/', segments.Select(s => escape ? Escape(s) : s)) + q));
        var statuses = new SortedDictionary<int, int>();
        await targets.SampleAsync(async call =>
        {
            var (status, head) = await SendRawAsync(port, call.Method, call.Target);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(status is >= 200 and < 500, $"{call.Method} {call.Target[..Math.Min(300, call.Target.Length)]}: {head}");
        }, output.WriteLine, iter: 300, threads: 1, print: call => $"{call.Method} {Printable(call.Target)} ({call.Target.Length} chars)");
        output.WriteLine(string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(statuses.GetValueOrDefault(200) + statuses.GetValueOrDefault(404) > 100, "hardly any target reached the Api's handlers");
    }

    /// <summary>Sends one request line as UTF-8 bytes, unnormalised, on a connection of its own; the status and the response head.</summary>
    private static async Task<(int Status, string Head)> SendRawAsync(int port, string method, string target)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes($"{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.Latin1);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var head = await reader.ReadToEndAsync(timeout.Token);
        var statusLine = head.Split("\r\n")[0];
        return (statusLine.Split(' ') is [_, var code, ..] && int.TryParse(code, CultureInfo.InvariantCulture, out var status) ? status : -1, head[..Math.Min(600, head.Length)]);
    }

    private static string Escape(string segment)
    {
        try
        {
            return Uri.EscapeDataString(segment);
        }
        catch (UriFormatException)
        {
            return segment;   // a lone surrogate: sent as it is
        }
    }

    private static string Printable(string target) =>
        string.Concat(target.Take(300).Select(c => char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    // ---- generators ----

    private static readonly Gen<string> Id = Gen.Frequency<string>(
        (8, Gen.Long[1, Products + 12].Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.OneOf("0", "-1", "9223372036854775807", "9223372036854775808", "1.5", "abc", "%20", "1e3", "00001", "%F0%9F%98%80")));

    private static readonly Gen<string> CategoryId = Gen.Frequency<string>((6, Gen.Long[1, Categories + 4].Select(i => i.ToString(CultureInfo.InvariantCulture))), (1, Id));

    private static readonly Gen<string> AnyString = Gen.Frequency<string>(
        (4, Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789-"], 1, 30]),
        (2, Gen.String[0, 40]),                                                              // any UTF-16, lone surrogates included
        (1, Gen.String[Gen.Char["éü漢字😀\u202e\u200b\u0000\u0001\t\n\r\"\\/<>&'"], 0, 20]),
        (1, Gen.OneOf("", " ", new string('x', 301), new string('é', 5000), new string('y', 70_000))));

    private static readonly Gen<string> Slug = Gen.Frequency<string>(
        (3, Gen.OneOf("alpha", "beta", "gamma", "delta-1", "omega")),   // a small pool: conflicts
        (1, AnyString));

    /// <summary>Any JSON number, as text: what .NET types cannot hold included.</summary>
    private static readonly Gen<string> AnyNumber = Gen.Frequency<string>(
        (3, Gen.Int.Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Long.Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Double.Where(double.IsFinite).Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
        (1, Gen.OneOf("1e400", "-0", "0.000000001", "99999999999999999999999999999", "1.005", "-1", "10000000000", "9999999999.99", "2147483648")));

    private static Gen<string> AnyJson(int depth) => depth <= 0
        ? Gen.Frequency<string>((1, Gen.OneOf("null", "true", "false")), (2, AnyNumber), (3, AnyString.Select(Quote)))
        : Gen.Frequency<string>(
            (1, Gen.OneOf("null", "true", "false")), (2, AnyNumber), (3, AnyString.Select(Quote)),
            (1, AnyJson(depth - 1).Array[0, 4].Select(a => "[" + string.Join(',', a) + "]")),
            (1, Gen.Select(AnyString, AnyJson(depth - 1)).Array[0, 4].Select(Object)));

    /// <summary>A field of a known name: mostly a value of its type, sometimes anything; sometimes absent.</summary>
    private static Gen<(string Key, string Value)?> Field(string name, Gen<string> good) =>
        Gen.Frequency<(string Key, string Value)?>(
            (5, Gen.Frequency<string>((6, good), (1, AnyJson(1))).Select(v => ((string Key, string Value)?)(name, v))),
            (1, Gen.Const(default((string Key, string Value)?))));

    private static Gen<string> ObjectOf(params Gen<(string Key, string Value)?>[] fields) =>
        Gen.Select(fields.Aggregate(Gen.Const(Array.Empty<(string, string)>()), (all, field) => Gen.Select(all, field, (a, f) => f is { } present ? [.. a, present] : a)),
            Gen.Frequency<(string, string)[]>((8, Gen.Const(Array.Empty<(string, string)>())), (1, Gen.Select(AnyString, AnyJson(1)).Array[1, 2])),
            (known, extra) => Object([.. known, .. extra]));

    private static readonly Gen<string> ProductBody = ObjectOf(
        Field("name", AnyString.Select(Quote)),
        Field("slug", Slug.Select(Quote)),
        Field("description", AnyString.Select(Quote)),
        Field("priceAmount", Gen.Frequency<string>((4, Gen.Int[0, 100_000].Select(c => (c / 100m).ToString(CultureInfo.InvariantCulture))), (1, AnyNumber))),
        Field("currency", Gen.Frequency<string>((5, Gen.Const("\"EUR\"")), (1, AnyString.Select(Quote)))),
        Field("categoryId", Gen.Long[1, Categories + 4].Select(i => i.ToString(CultureInfo.InvariantCulture))),
        Field("imageUrls", Gen.Frequency<string>(
            (2, Gen.OneOf("[]", "[\"/images/1.jpg\"]", "[\"https://img.example/a.png\", \"javascript:alert(1)\"]")),
            (1, AnyString.Select(Quote).Array[0, 25].Select(a => "[" + string.Join(',', a) + "]")))),
        Field("featuredRank", Gen.Frequency<string>((3, Gen.Const("null")), (3, Gen.Int[1, 5].Select(i => i.ToString(CultureInfo.InvariantCulture))), (1, AnyNumber))));

    /// <summary>A product the Api accepts, unless its slug is taken or its category is missing.</summary>
    private static readonly Gen<string> ValidProduct = Gen.Select(Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz ABC0123456789"], 1, 30].Where(n => n.Trim().Length > 0),
        Gen.Frequency<string>((3, Gen.Const("")), (1, Gen.OneOf("alpha", "beta", "gamma", "delta-1", "omega"))), Gen.Int[0, 100_000], Gen.Long[1, Categories + 1],
        Gen.Frequency<string>((3, Gen.Const("null")), (1, Gen.Int[1, 5].Select(i => i.ToString(CultureInfo.InvariantCulture)))),
        (name, slug, cents, category, featured) => Object([
            ("name", Quote(name)), .. (slug.Length > 0 ? new[] { ("slug", Quote(slug)) } : []), ("priceAmount", (cents / 100m).ToString(CultureInfo.InvariantCulture)),
            ("currency", "\"EUR\""), ("categoryId", category.ToString(CultureInfo.InvariantCulture)), ("featuredRank", featured)]));

    /// <summary>A category the Api accepts, unless its slug is taken or its parent is missing (or would make a cycle).</summary>
    private static readonly Gen<string> ValidCategory = Gen.Select(Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz ABC0123456789"], 1, 30].Where(n => n.Trim().Length > 0),
        Gen.Frequency<string>((3, Gen.Const("")), (1, Gen.OneOf("alpha", "beta", "gamma", "delta-1", "omega"))),
        Gen.Frequency<string>((1, Gen.Const("null")), (2, Gen.Long[1, Categories + 3].Select(i => i.ToString(CultureInfo.InvariantCulture)))), Gen.Int[-5, 5],
        (name, slug, parent, sort) => Object([
            ("name", Quote(name)), .. (slug.Length > 0 ? new[] { ("slug", Quote(slug)) } : []), ("parentId", parent), ("sortOrder", sort.ToString(CultureInfo.InvariantCulture))]));

    private static readonly Gen<string> CategoryBody = ObjectOf(
        Field("name", AnyString.Select(Quote)),
        Field("slug", Slug.Select(Quote)),
        Field("parentId", Gen.Frequency<string>((2, Gen.Const("null")), (3, Gen.Long[1, Categories + 4].Select(i => i.ToString(CultureInfo.InvariantCulture))))),
        Field("sortOrder", Gen.Frequency<string>((3, Gen.Int[-10, 10].Select(i => i.ToString(CultureInfo.InvariantCulture))), (1, AnyNumber))));

    private static readonly Gen<string> StockBody = ObjectOf(Field("quantity", Gen.Frequency<string>((3, Gen.Int[0, 1000].Select(i => i.ToString(CultureInfo.InvariantCulture))), (1, AnyNumber))));

    private static readonly Gen<string> ConfigBody = Gen.Frequency<string>(
        (3, Gen.Select(Gen.Frequency<string>((2, Gen.OneOf("banner", "siteName")), (1, AnyString)), AnyJson(2)).Array[0, 4].Select(Object)),
        (1, AnyJson(2)));

    private static readonly Gen<string> RepublishBody = ObjectOf(
        Field("all", Gen.OneOf("true", "false")),
        Field("paths", Gen.Frequency<string>((2, Gen.OneOf("/products/1.json", "/index.html", "/categories/alpha/1.json")), (1, AnyString))
            .Select(Quote).Array[0, 5].Select(a => "[" + string.Join(',', a) + "]")),
        Field("keys", Gen.Frequency<string>((2, Gen.OneOf("product:1", "category:2:list", "featured")), (1, AnyString))
            .Select(Quote).Array[0, 5].Select(a => "[" + string.Join(',', a) + "]")));

    /// <summary>Not JSON, or not what the route takes: empty, truncated, nested too deep, a bare value.</summary>
    private static readonly Gen<string> Garbage = Gen.Frequency<string>(
        (2, AnyJson(2)),
        (1, Gen.OneOf("", "{", "{\"name\":", "[]", "null", "{}", "{\"name\":\"a\",\"name\":\"b\"}", new string('[', 1000) + new string(']', 1000), "\uFEFF{}", "{'name':'single quotes'}")),
        (1, AnyString),
        (1, ProductBody.Select(b => b[..(b.Length / 2)])));

    private static Gen<string> BodyFor(string kind) => kind switch
    {
        "product" => Gen.Frequency<string>((4, ValidProduct), (3, ProductBody), (1, Garbage)),
        "category" => Gen.Frequency<string>((4, ValidCategory), (3, CategoryBody), (1, Garbage)),
        "stock" => Gen.Frequency<string>((6, StockBody), (1, Garbage)),
        "config" => Gen.Frequency<string>((6, ConfigBody), (1, Garbage)),
        "republish" => Gen.Frequency<string>((6, RepublishBody), (1, Garbage)),
        "images" => Gen.OneOf("png", "png,png", "garbage", "png,garbage", "empty", "none"),
        _ => Gen.Frequency<string>((8, Gen.Const("")), (1, Garbage)),
    };

    private static readonly Gen<Call> OneCall =
        from route in Gen.Frequency<(string, string, string)>(
            (12, Gen.OneOf(Routes)),
            (1, Gen.Select(Gen.OneOf("PATCH", "POST", "DELETE", "OPTIONS"), Gen.OneOf(Routes.Select(r => r.Template).ToArray()), (m, t) => (m, t, "product"))))
        from id in route.Item2.StartsWith("/admin/categories", StringComparison.Ordinal) ? CategoryId : Id
        from body in BodyFor(route.Item3)
        from type in Gen.Frequency<string?>((10, Gen.Const<string?>(route.Item3 == "images" ? "multipart" : "application/json")), (1, Gen.OneOf<string?>(null, "text/plain", "application/json; charset=utf-8", "application/xml", "multipart/form-data; boundary=x", "application/json-patch+json")))
        from ifMatch in Gen.Frequency<string?>((6, Gen.Const<string?>(default(string))), (1, Gen.OneOf<string?>("\"1\"", "\"2\"", "W/\"3\"", "*", "garbage", "\"\"", "\"99999999999999999999\"", "\"-1\"")))
        from token in Gen.Frequency<string?>((14, Gen.Const<string?>(AdminApiTests.WriteToken)), (1, Gen.OneOf<string?>(AdminApiTests.ReadToken, null, "not-a-token-not-a-token-not-a-token")))
        from query in route.Item2 == "/admin/publishes"
            ? Gen.OneOf("", "?limit=5", "?limit=0", "?limit=1001", "?limit=abc", "?limit=99999999999")
            : Gen.Const("")
        select new Call(route.Item1, route.Item2.Replace("{id}", id, StringComparison.Ordinal) + query, type == "multipart" ? null : type,
            route.Item1 is "GET" or "DELETE" && body.Length == 0 ? null : body, route.Item3 == "images" && type == "multipart", ifMatch, token);

    private static readonly Gen<Call[]> Session = OneCall.Array[20, 40];

    // ---- the property ----

    private static async Task SendAndCheckAsync(HttpClient client, Call call, Model model)
    {
        using var request = new HttpRequestMessage(new HttpMethod(call.Method), new Uri("http://localhost" + call.Path));
        if (call.Multipart)
        {
            request.Content = Images(call.Body ?? "none");
        }
        else if (call.Body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(call.Body));
            if (call.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", call.ContentType);
            }
        }

        if (call.IfMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", call.IfMatch);
        }

        if (call.Token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", call.Token);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        model.Count(status);
        Assert.True(status < 500, $"{call}: {status} {text}");
        if (status >= 400 && call.Method != "HEAD")
        {
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{call}: {status} is not problem details: {text}");
            Assert.Equal(status, JsonDocument.Parse(text).RootElement.GetProperty("status").GetInt32());
        }

        if (response.IsSuccessStatusCode && call.Method != "GET")
        {
            model.Acknowledge(call, JsonDocument.Parse(text).RootElement);
        }
    }

    /// <summary>What the acknowledged writes say the catalog holds: per product and category, the last answer.</summary>
    private sealed class Model
    {
        public Dictionary<long, JsonElement?> Products { get; } = [];

        public Dictionary<long, JsonElement?> Categories { get; } = [];

        public Dictionary<long, long> ProductVersions { get; } = [];

        public List<long> PublishIds { get; } = [];

        public int Writes { get; private set; }

        private readonly SortedDictionary<int, int> statuses = [];

        public string Statuses => string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"));

        public void Count(int status) => statuses[status] = statuses.GetValueOrDefault(status) + 1;

        public void Acknowledge(Call call, JsonElement body)
        {
            Writes++;
            var segments = call.Path.Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries);
            switch (call.Method, segments)
            {
                case ("POST" or "PUT", ["admin", "products", ..] ) when segments.Length <= 3:
                    Products[body.GetProperty("id").GetInt64()] = body.Clone();
                    ProductVersions[body.GetProperty("id").GetInt64()] = body.GetProperty("rowVersion").GetInt64();
                    break;
                case ("PUT", ["admin", "products", _, "images"]):
                    ProductVersions[body.GetProperty("productId").GetInt64()] = body.GetProperty("rowVersion").GetInt64();
                    break;
                case ("DELETE", ["admin", "products", var id]):
                    Products[long.Parse(id, CultureInfo.InvariantCulture)] = null;
                    ProductVersions.Remove(long.Parse(id, CultureInfo.InvariantCulture));
                    break;
                case ("POST" or "PUT", ["admin", "categories", ..]):
                    Categories[body.GetProperty("id").GetInt64()] = body.Clone();
                    break;
                case ("DELETE", ["admin", "categories", var id]):
                    Categories[long.Parse(id, CultureInfo.InvariantCulture)] = null;
                    break;
            }

            if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("publishId", out var publishId) && publishId.ValueKind == JsonValueKind.Number)
            {
                PublishIds.Add(publishId.GetInt64());
            }
        }
    }

    private async Task CheckInvariantsAsync(Model model, long configBefore)
    {
        async Task ZeroAsync(string what, string sql) => Assert.True(await ScalarAsync<long>(sql) == 0, $"invariant broken: {what} ({sql})");

        await ZeroAsync("every product's category exists", "select count(*) from products p where not exists (select 1 from categories c where c.id = p.category_id)");
        await ZeroAsync("product slugs are unique", "select count(*) from (select slug from products group by slug having count(*) > 1) d");
        await ZeroAsync("category slugs are unique", "select count(*) from (select slug from categories group by slug having count(*) > 1) d");
        await ZeroAsync("every category's parent exists", "select count(*) from categories c where c.parent_id is not null and not exists (select 1 from categories p where p.id = c.parent_id)");
        await ZeroAsync("the category tree has no cycle", """
            with recursive walk (start, parent, depth) as (
                select id, parent_id, 1 from categories where parent_id is not null
                union all
                select w.start, c.parent_id, w.depth + 1 from walk w join categories c on c.id = w.parent where c.parent_id is not null and w.depth < 100)
            select count(*) from walk where parent = start
            """);
        await ZeroAsync("stock only for existing products, never negative", "select count(*) from stock_levels s where s.quantity < 0 or not exists (select 1 from products p where p.id = s.product_id)");
        await ZeroAsync("image positions are 0..n-1 and their sources exist", """
            select (select count(*) from (select product_id from product_images group by product_id having max(position) + 1 <> count(*)) g)
                 + (select count(*) from product_images i where not exists (select 1 from image_sources s where s.sha256 = i.sha256))
            """);
        await ZeroAsync("the last outbox row of a product or category says deleted exactly when it is gone", """
            select count(*) from (
                select distinct on (entity_type, entity_id) entity_type, entity_id, change from outbox
                where entity_type in ('product', 'category') order by entity_type, entity_id, id desc) last
            where (last.change = 'deleted') = (
                (last.entity_type = 'product' and exists (select 1 from products where id = last.entity_id))
                or (last.entity_type = 'category' and exists (select 1 from categories where id = last.entity_id)))
            """);
        await ZeroAsync("a row's version is 1 + its 'updated' outbox rows (every change bumps it and is published)", """
            select count(*) from (
                select p.row_version, (select count(*) from outbox o where o.entity_type = 'product' and o.entity_id = p.id and o.change = 'updated') as updates from products p
                union all
                select c.row_version, (select count(*) from outbox o where o.entity_type = 'category' and o.entity_id = c.id and o.change = 'updated') from categories c) v
            where v.row_version <> 1 + v.updates
            """);
        Assert.Equal(await ScalarAsync<long>("select version from site_config") - configBefore, await ScalarAsync<long>("select count(*) from outbox where entity_type = 'site_config'"));
        if (model.PublishIds.Count > 0)
        {
            Assert.Equal(model.PublishIds.Distinct().LongCount(), await ScalarAsync<long>($"select count(*) from outbox where id in ({string.Join(',', model.PublishIds.Distinct())})"));
        }

        // What was acknowledged is what the catalog holds.
        foreach (var (id, product) in model.Products)
        {
            var row = await RowAsync($"select name, slug, price_amount::text, currency, category_id, featured_rank, row_version from products where id = {id}");
            if (product is not { } p)
            {
                Assert.True(row is null, $"product {id} was deleted (acknowledged) but is still there");
                continue;
            }

            Assert.True(row is not null, $"product {id} was acknowledged but is missing");
            Assert.Equal(p.GetProperty("name").GetString(), row[0]);
            Assert.Equal(p.GetProperty("slug").GetString(), row[1]);
            Assert.Equal(p.GetProperty("priceAmount").GetDecimal(), decimal.Parse((string)row[2]!, CultureInfo.InvariantCulture));
            Assert.Equal(p.GetProperty("currency").GetString(), row[3]);
            Assert.Equal(p.GetProperty("categoryId").GetInt64(), row[4]);
            Assert.Equal(p.GetProperty("featuredRank").ValueKind == JsonValueKind.Null ? null : p.GetProperty("featuredRank").GetInt32(), row[5] as int?);
            Assert.Equal(model.ProductVersions[id], row[6]);
        }

        foreach (var (id, category) in model.Categories)
        {
            var row = await RowAsync($"select name, slug, parent_id, sort_order, row_version from categories where id = {id}");
            if (category is not { } c)
            {
                Assert.True(row is null, $"category {id} was deleted (acknowledged) but is still there");
                continue;
            }

            Assert.True(row is not null, $"category {id} was acknowledged but is missing");
            Assert.Equal(c.GetProperty("name").GetString(), row[0]);
            Assert.Equal(c.GetProperty("slug").GetString(), row[1]);
            Assert.Equal(c.GetProperty("parentId").ValueKind == JsonValueKind.Null ? null : c.GetProperty("parentId").GetInt64(), row[2] as long?);
            Assert.Equal(c.GetProperty("sortOrder").GetInt32(), row[3]);
            Assert.Equal(c.GetProperty("rowVersion").GetInt64(), row[4]);
        }
    }

    // ---- helpers ----

    private static string Quote(string s) => JsonSerializer.Serialize(s);

    private static string Object((string Key, string Value)[] fields) => "{" + string.Join(',', fields.Select(f => Quote(f.Key) + ":" + f.Value)) + "}";

    private static MultipartFormDataContent Images(string spec)
    {
        var content = new MultipartFormDataContent();
        if (spec == "none")
        {
            return content;
        }

        var n = 0;
        foreach (var part in spec.Split(','))
        {
            var bytes = part switch { "png" => Png, "garbage" => Encoding.UTF8.GetBytes("not an image at all, just text"), _ => [] };
            var file = new ByteArrayContent(bytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Add(file, "files", string.Create(CultureInfo.InvariantCulture, $"f{n++}.png"));
        }

        return content;
    }

    private static byte[] DrawPng()
    {
        using var bitmap = new SKBitmap(80, 80);
        bitmap.Erase(SKColors.Teal);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 90);
        return data.ToArray();
    }

    private async Task<long> ConfigVersionAsync() => await ScalarAsync<long>("select version from site_config");

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = servers.Database.DataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : value is T same ? same : (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), CultureInfo.InvariantCulture);
    }

    private async Task<object?[]?> RowAsync(string sql)
    {
        await using var command = servers.Database.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return null;
        }

        var values = new object?[reader.FieldCount];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        }

        return values;
    }
}
