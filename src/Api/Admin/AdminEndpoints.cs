using System.Globalization;
using System.Text.Json;
using Static.Api.Artifacts;
using Static.Shared.Configuration;
using ZiggyCreatures.Caching.Fusion;

namespace Static.Api.Admin;

/// <summary>
/// <c>/admin</c>: catalog writes and publish status. Every route requires a bearer token (read role for GETs,
/// write role for the rest). Writes commit their change and an outbox row together, then evict what the Api
/// has cached from the old data on every instance; the publisher republishes from the outbox.
/// Errors are problem details: 400 naming the field, 404, 409 (slug taken, still referenced), 412 (If-Match
/// names an older row version), 413 (body too large), 422 (unknown category).
/// </summary>
public static class AdminEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").RequireAuthorization(AdminTokens.ReadRole).WithTags("admin");

        admin.MapGet("/products/{id:long}", async (long id, AdminStore store, HttpContext http, CancellationToken ct) =>
            await store.GetProductAsync(id, ct).ConfigureAwait(false) is { } product ? WithETag(http, product.RowVersion, Results.Ok(product)) : NotFound($"product {id}"));
        admin.MapPost("/products", async (HttpContext http, AdminStore store, AdminCacheEviction evict, CancellationToken ct) =>
        {
            var (input, error) = await ReadAsync<ProductInput>(http, ct).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            var errors = AdminValidation.Product(input!, out var slug);
            return errors.Count > 0 ? Results.ValidationProblem(errors)
                : await FinishAsync(http, evict, await store.CreateProductAsync(input!, slug, ct).ConfigureAwait(false), p => p.RowVersion,
                    p => Results.Created(string.Create(CultureInfo.InvariantCulture, $"/admin/products/{p.Id}"), p), ct).ConfigureAwait(false);
        }).RequireAuthorization(AdminTokens.WriteRole);
        admin.MapPut("/products/{id:long}", async (long id, HttpContext http, AdminStore store, AdminCacheEviction evict, CancellationToken ct) =>
        {
            var (input, error) = await ReadAsync<ProductInput>(http, ct).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            var (ifMatch, badMatch) = IfMatch(http);
            if (badMatch is not null)
            {
                return badMatch;
            }

            var errors = AdminValidation.Product(input!, out var slug);
            return errors.Count > 0 ? Results.ValidationProblem(errors)
                : await FinishAsync(http, evict, await store.UpdateProductAsync(id, ifMatch, input!, slug, ct).ConfigureAwait(false), p => p.RowVersion, Results.Ok, ct).ConfigureAwait(false);
        }).RequireAuthorization(AdminTokens.WriteRole);
        admin.MapDelete("/products/{id:long}", async (long id, HttpContext http, AdminStore store, AdminCacheEviction evict, CancellationToken ct) =>
        {
            var (ifMatch, badMatch) = IfMatch(http);
            return badMatch ?? await FinishAsync(http, evict, await store.DeleteProductAsync(id, ifMatch, ct).ConfigureAwait(false), null,
                publishId => Results.Ok(new { deleted = id, publishId }), ct).ConfigureAwait(false);
        }).RequireAuthorization(AdminTokens.WriteRole);
        admin.MapPut("/products/{id:long}/stock", async (long id, HttpContext http, AdminStore store, AdminCacheEviction evict, CancellationToken ct) =>
        {
            var (input, error) = await ReadAsync<StockInput>(http, ct).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            return input!.Quantity is not (>= 0 and <= 100_000_000)
                ? Results.ValidationProblem(new Dictionary<string, string[]> { ["quantity"] = ["required, 0 to 100,000,000"] })
                : await FinishAsync(http, evict, await store.SetStockAsync(id, input.Quantity.Value, ct).ConfigureAwait(false), null, Results.Ok, ct).ConfigureAwait(false);
        }).RequireAuthorization(AdminTokens.WriteRole);

        admin.MapGet("/categories/{id:long}", async (long id, AdminStore store, HttpContext http, CancellationToken ct) =>
            await store.GetCategoryAsync(id, ct).ConfigureAwait(false) is { } category ? WithETag(http, category.RowVersion, Results.Ok(category)) : NotFound($"category {id}"));
        admin.MapPost("/categories", (HttpContext http, AdminStore store, AdminCacheEviction evict, CancellationToken ct) => SaveCategoryAsync(null, http, store, evict, ct))
            .RequireAuthorization(AdminTokens.WriteRole);
        admin.MapPut("/categories/{id:long}", (long id, HttpContext http, AdminStore store, AdminCacheEviction evict, CancellationToken ct) => SaveCategoryAsync(id, http, store, evict, ct))
            .RequireAuthorization(AdminTokens.WriteRole);
        admin.MapDelete("/categories/{id:long}", async (long id, HttpContext http, AdminStore store, AdminCacheEviction evict, CancellationToken ct) =>
        {
            var (ifMatch, badMatch) = IfMatch(http);
            return badMatch ?? await FinishAsync(http, evict, await store.DeleteCategoryAsync(id, ifMatch, ct).ConfigureAwait(false), null,
                publishId => Results.Ok(new { deleted = id, publishId }), ct).ConfigureAwait(false);
        }).RequireAuthorization(AdminTokens.WriteRole);

        admin.MapGet("/config", async (AdminStore store, HttpContext http, CancellationToken ct) =>
            await store.GetConfigAsync(ct).ConfigureAwait(false) is { } config ? WithETag(http, config.Version, Results.Ok(config)) : NotFound("site config"));
        admin.MapPut("/config", async (HttpContext http, AdminStore store, AdminCacheEviction evict, CancellationToken ct) =>
        {
            var (document, error) = await ReadAsync<JsonElement>(http, ct).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            if (document.ValueKind != JsonValueKind.Object || document.GetRawText().Contains("\\u0000", StringComparison.Ordinal))
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["the site config document must be a JSON object, without NUL characters"] });
            }

            var (ifMatch, badMatch) = IfMatch(http);
            return badMatch ?? await FinishAsync(http, evict, await store.SetConfigAsync(ifMatch, document, ct).ConfigureAwait(false), c => c.Version, Results.Ok, ct).ConfigureAwait(false);
        }).RequireAuthorization(AdminTokens.WriteRole);

        admin.MapPost("/republish", async (HttpContext http, AdminStore store, AdminCacheEviction evict, CancellationToken ct) =>
        {
            var (input, error) = await ReadAsync<RepublishInput>(http, ct).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            var errors = AdminValidation.Republish(input!);
            return errors.Count > 0 ? Results.ValidationProblem(errors)
                : await FinishAsync(http, evict, await store.RequestRepublishAsync(input!, ct).ConfigureAwait(false), null,
                    id => Results.Accepted(string.Create(CultureInfo.InvariantCulture, $"/admin/publishes/{id}"), new RepublishAccepted(id, "pending")), ct).ConfigureAwait(false);
        }).RequireAuthorization(AdminTokens.WriteRole);

        admin.MapGet("/publishes", async (int? limit, PublishStatusReader reader, CancellationToken ct) =>
            limit is < 1 or > 1000
                ? Results.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["1 to 1,000"] })
                : Results.Ok(await reader.RecentAsync(limit ?? 20, ct).ConfigureAwait(false)));
        admin.MapGet("/publishes/{id:long}", async (long id, PublishStatusReader reader, CancellationToken ct) =>
            await reader.RequestAsync(id, ct).ConfigureAwait(false) is { } status ? Results.Ok(status) : NotFound($"publish request {id}"));
    }

    private static async Task<IResult> SaveCategoryAsync(long? id, HttpContext http, AdminStore store, AdminCacheEviction evict, CancellationToken ct)
    {
        var (input, error) = await ReadAsync<CategoryInput>(http, ct).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var (ifMatch, badMatch) = IfMatch(http);
        if (badMatch is not null)
        {
            return badMatch;
        }

        var errors = AdminValidation.Category(input!, out var slug);
        return errors.Count > 0 ? Results.ValidationProblem(errors)
            : await FinishAsync(http, evict, await store.SaveCategoryAsync(id, ifMatch, input!, slug, ct).ConfigureAwait(false), c => c.RowVersion,
                c => id is null ? Results.Created(string.Create(CultureInfo.InvariantCulture, $"/admin/categories/{c.Id}"), c) : Results.Ok(c), ct).ConfigureAwait(false);
    }

    private static async Task<IResult> FinishAsync<T>(HttpContext http, AdminCacheEviction evict, AdminOutcome<T> outcome, Func<T, long>? version, Func<T, IResult> ok, CancellationToken ct) =>
        outcome switch
        {
            AdminOutcome<T>.Done done => await EvictThenAsync(http, evict, done, version, ok, ct).ConfigureAwait(false),
            AdminOutcome<T>.NotFound nf => NotFound(nf.What),
            AdminOutcome<T>.Stale stale => Results.Problem(statusCode: 412, title: "Precondition Failed",
                detail: string.Create(CultureInfo.InvariantCulture, $"If-Match names an older row version; the current one is \"{stale.Current}\". Read it again and retry.")),
            AdminOutcome<T>.Conflict c => Results.Problem(statusCode: 409, title: "Conflict", detail: c.Message, extensions: new Dictionary<string, object?> { ["field"] = c.Field }),
            AdminOutcome<T>.Invalid i => Results.ValidationProblem(new Dictionary<string, string[]> { [i.Field] = [i.Message] }),
            AdminOutcome<T>.Unprocessable u => Results.Problem(statusCode: 422, title: "Unprocessable Entity", detail: u.Message, extensions: new Dictionary<string, object?> { ["field"] = u.Field }),
            _ => throw new InvalidOperationException("unknown outcome"),
        };

    private static async Task<IResult> EvictThenAsync<T>(HttpContext http, AdminCacheEviction evict, AdminOutcome<T>.Done done, Func<T, long>? version, Func<T, IResult> ok, CancellationToken ct)
    {
        await evict.AfterCommitAsync(done.EvictKeys, ct).ConfigureAwait(false);
        if (version is not null)
        {
            http.Response.Headers.ETag = ETag(version(done.Value));
        }

        return ok(done.Value);
    }

    private static IResult WithETag(HttpContext http, long version, IResult result)
    {
        http.Response.Headers.ETag = ETag(version);
        return result;
    }

    private static string ETag(long version) => string.Create(CultureInfo.InvariantCulture, $"\"{version}\"");

    private static IResult NotFound(string what) => Results.Problem(statusCode: 404, title: "Not Found", detail: $"{what} does not exist.");

    /// <summary>If-Match: absent (unconditional), or one quoted row version.</summary>
    private static (long? Version, IResult? Error) IfMatch(HttpContext http)
    {
        var value = http.Request.Headers.IfMatch.ToString();
        if (value.Length == 0)
        {
            return (null, null);
        }

        var trimmed = value.Trim();
        if (trimmed.StartsWith("W/", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        return long.TryParse(trimmed.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? (version, null)
            : (null, Results.ValidationProblem(new Dictionary<string, string[]> { ["If-Match"] = ["one row version as returned in ETag, e.g. \"7\""] }));
    }

    /// <summary>Reads a JSON body within <c>api.adminMaxBodyBytes</c>: 413 past it, 400 naming the bad field.</summary>
    private static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpContext http, CancellationToken ct)
    {
        var limit = http.RequestServices.GetRequiredService<PublishConfig>().Api.AdminMaxBodyBytes;
        var tooLarge = Results.Problem(statusCode: 413, title: "Payload Too Large", detail: string.Create(CultureInfo.InvariantCulture, $"Admin request bodies are limited to {limit} bytes (api.adminMaxBodyBytes)."));
        if (http.Request.ContentLength > limit)
        {
            return (default, tooLarge);
        }

        if (http.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (default, Results.Problem(statusCode: 415, title: "Unsupported Media Type", detail: "Send the body as application/json."));
        }

        var buffer = new byte[limit + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await http.Request.Body.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false)) > 0)
        {
            read += n;
        }

        if (read > limit)
        {
            return (default, tooLarge);
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.AsSpan(0, read), Json);
            return value is null
                ? (default, Results.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["a JSON object is required"] }))
                : (value, null);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return (default, Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [$"not valid JSON for this field: {e.Message.Split(". Path:")[0]}"] }));
        }
    }
}

/// <summary>
/// After a commit: evicts the Api's cached answers that depended on the changed keys, on every instance, and
/// again <see cref="SecondEvictionDelay"/> later (a miss on another instance that read the old row just
/// before the commit could otherwise put it back). Never fails the request: the change is committed and
/// will be published whatever happens here; a failure is logged and the entries expire on their own.
/// </summary>
public sealed partial class AdminCacheEviction(ArtifactCache artifacts, IFusionCache cache, ReplicaFence fence, ILogger<AdminCacheEviction> logger)
{
    public static readonly TimeSpan SecondEvictionDelay = TimeSpan.FromSeconds(1);

    public async Task AfterCommitAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return;
        }

        // Not the request's token: a client that hangs up after the commit must not cancel the eviction.
        await EvictAsync(keys, raiseFence: true).ConfigureAwait(false);
        _ = Task.Run(async () =>
        {
            await Task.Delay(SecondEvictionDelay, CancellationToken.None).ConfigureAwait(false);
            await EvictAsync(keys, raiseFence: false).ConfigureAwait(false);
        }, CancellationToken.None);
    }

    private async Task EvictAsync(IReadOnlyList<string> keys, bool raiseFence)
    {
        try
        {
            // First the fence (reads racing this eviction go to the primary until the replica has the
            // write), then the eviction itself.
            if (raiseFence)
            {
                await fence.RaiseAsync(CancellationToken.None).ConfigureAwait(false);
            }

            foreach (var key in keys)
            {
                if (key.StartsWith("stock:", StringComparison.Ordinal))
                {
                    await cache.RemoveByTagAsync(key, token: CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    await artifacts.EvictKeyAsync(key, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e)
        {
            LogEvictionFailed(logger, string.Join(' ', keys), e);
        }
    }

    [LoggerMessage(EventId = 5030, Level = LogLevel.Error, Message = "After a committed admin write, evicting {Keys} failed; cached answers expire on their own")]
    private static partial void LogEvictionFailed(ILogger logger, string keys, Exception exception);
}
