using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Static.Api.Database;
using Static.Api.RateLimiting;
using Static.Shared.Configuration;
using Static.Shared.Outbox;
using Static.Shared.Publishes;

namespace Static.Api.Admin;

/// <summary>
/// <c>/admin</c>: catalog writes and publish status. Every route requires a bearer token (read role for GETs,
/// write role for the rest). Writes commit their change and an outbox row together, then evict what the Api
/// has cached from the old data on every instance; the publisher republishes from the outbox.
/// Errors are problem details: 400 naming the field, 404, 409 (slug taken, still referenced), 412 (If-Match
/// names an older row version), 413 (body too large), 422 (unknown category, or a parent that would make the category
/// tree a cycle), 429 with Retry-After (the token's rate limit, api.rateLimits), 503 with Retry-After (PostgreSQL cannot
/// be reached: nothing was changed, retry).
/// </summary>
public static class AdminEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        // PostgreSQL unreachable: 503 + Retry-After on every route, never a 500; limited per token (api.rateLimits).
        var admin = app.MapGroup("/admin").RequireAuthorization(AdminTokens.ReadRole).WithTags("admin")
            .AddEndpointFilter<DatabaseUnavailable.Filter>().RequireRateLimiting(ApiRateLimiting.AdminPolicy);
        admin.MapGet("/products/{id:long}", GetProductAsync).WithName("GetProduct").WithSummary("A product with its row version as ETag.");
        admin.MapGet("/categories/{id:long}", GetCategoryAsync).WithName("GetCategory").WithSummary("A category with its row version as ETag.");
        admin.MapGet("/config", GetConfigAsync).WithName("GetConfig").WithSummary("The site config document with its version as ETag.");
        admin.MapGet("/publishes", ListPublishesAsync).WithName("ListPublishes").WithSummary("The latest publishes (?limit=1..1000, 20 by default).");
        admin.MapGet("/publishes/{id:long}", GetPublishRequestAsync).WithName("GetPublishRequest").WithSummary("A publish request (outbox row) and the publish that included it.");

        var write = admin.MapGroup("").RequireAuthorization(AdminTokens.WriteRole);
        write.MapPost("/products", CreateProductAsync).WithName("CreateProduct").WithSummary("Creates a product; 422 for an unknown category.");
        write.MapPut("/products/{id:long}", UpdateProductAsync).WithName("UpdateProduct").WithSummary("Replaces a product; If-Match makes it conditional.");
        write.MapDelete("/products/{id:long}", DeleteProductAsync).WithName("DeleteProduct").WithSummary("Deletes a product; If-Match makes it conditional.");
        write.MapPut("/products/{id:long}/images", PutImagesAsync).WithName("PutProductImages")
            .WithSummary("Replaces a product's images with the multipart/form-data files sent, in order (JPEG, PNG or WebP; images.* limits); If-Match makes it conditional.");
        write.MapPut("/products/{id:long}/stock", SetStockAsync).WithName("SetStock").WithSummary("Sets a product's stock level.");
        write.MapPost("/categories", CreateCategoryAsync).WithName("CreateCategory").WithSummary("Creates a category.");
        write.MapPut("/categories/{id:long}", UpdateCategoryAsync).WithName("UpdateCategory").WithSummary("Replaces a category; If-Match makes it conditional.");
        write.MapDelete("/categories/{id:long}", DeleteCategoryAsync).WithName("DeleteCategory").WithSummary("Deletes a category that nothing references.");
        write.MapPut("/config", SetConfigAsync).WithName("SetConfig").WithSummary("Replaces the site config document; If-Match makes it conditional.");
        write.MapPost("/republish", RepublishAsync).WithName("Republish").WithSummary("Asks for a republish of everything, or of paths and dependency keys.");
        return app;
    }

    private static async Task<Results<Ok<ProductOutput>, ProblemHttpResult>> GetProductAsync(long id, AdminStore store, HttpContext http, CancellationToken cancellationToken) =>
        await store.GetProductAsync(id, cancellationToken).ConfigureAwait(false) is { } product ? WithETag(http, product.RowVersion, TypedResults.Ok(product)) : NotFound($"product {id}");

    private static async Task<Results<Created<ProductOutput>, ProblemHttpResult>> CreateProductAsync(
        HttpContext http, AdminStore store, AdminCacheEviction evict, PublishConfig config, CancellationToken cancellationToken)
    {
        var (input, error) = await ReadAsync<ProductInput>(http, config, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var errors = AdminValidation.Product(input!, out var slug);
        return errors.Count > 0 ? Invalid(errors)
            : await FinishAsync(http, evict, await store.CreateProductAsync(input!, slug, cancellationToken).ConfigureAwait(false), p => p.RowVersion,
                p => TypedResults.Created(string.Create(CultureInfo.InvariantCulture, $"/admin/products/{p.Id}"), p), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Results<Ok<ProductOutput>, ProblemHttpResult>> UpdateProductAsync(
        long id, HttpContext http, AdminStore store, AdminCacheEviction evict, PublishConfig config, CancellationToken cancellationToken)
    {
        var (input, error) = await ReadAsync<ProductInput>(http, config, cancellationToken).ConfigureAwait(false);
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
        return errors.Count > 0 ? Invalid(errors)
            : await FinishAsync(http, evict, await store.UpdateProductAsync(id, ifMatch, input!, slug, cancellationToken).ConfigureAwait(false), p => p.RowVersion,
                TypedResults.Ok, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Results<Ok<DeletedOutput>, ProblemHttpResult>> DeleteProductAsync(
        long id, HttpContext http, AdminStore store, AdminCacheEviction evict, CancellationToken cancellationToken)
    {
        var (ifMatch, badMatch) = IfMatch(http);
        return badMatch ?? await FinishAsync(http, evict, await store.DeleteProductAsync(id, ifMatch, cancellationToken).ConfigureAwait(false), null,
            publishId => TypedResults.Ok(new DeletedOutput(id, publishId)), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Results<Ok<ProductImagesOutput>, ProblemHttpResult>> PutImagesAsync(
        long id, HttpContext http, AdminStore store, AdminCacheEviction evict, PublishConfig config, CancellationToken cancellationToken)
    {
        var (ifMatch, badMatch) = IfMatch(http);
        if (badMatch is not null)
        {
            return badMatch;
        }

        var (files, error) = await ImageUploads.ReadAsync(http, config.Images, cancellationToken).ConfigureAwait(false);
        return error ?? await FinishAsync(http, evict, await store.ReplaceProductImagesAsync(id, ifMatch, files, cancellationToken).ConfigureAwait(false), p => p.RowVersion,
            TypedResults.Ok, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Results<Ok<StockOutput>, ProblemHttpResult>> SetStockAsync(
        long id, HttpContext http, AdminStore store, AdminCacheEviction evict, PublishConfig config, CancellationToken cancellationToken)
    {
        var (input, error) = await ReadAsync<StockInput>(http, config, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        return input!.Quantity is not (>= 0 and <= 100_000_000)
            ? Invalid(new Dictionary<string, string[]> { ["quantity"] = ["required, 0 to 100,000,000"] })
            : await FinishAsync(http, evict, await store.SetStockAsync(id, input.Quantity.Value, cancellationToken).ConfigureAwait(false), null,
                TypedResults.Ok, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Results<Ok<CategoryOutput>, ProblemHttpResult>> GetCategoryAsync(long id, AdminStore store, HttpContext http, CancellationToken cancellationToken) =>
        await store.GetCategoryAsync(id, cancellationToken).ConfigureAwait(false) is { } category ? WithETag(http, category.RowVersion, TypedResults.Ok(category)) : NotFound($"category {id}");

    private static Task<Results<Created<CategoryOutput>, ProblemHttpResult>> CreateCategoryAsync(
        HttpContext http, AdminStore store, AdminCacheEviction evict, PublishConfig config, CancellationToken cancellationToken) =>
        SaveCategoryAsync(null, http, store, evict, config, c => TypedResults.Created(string.Create(CultureInfo.InvariantCulture, $"/admin/categories/{c.Id}"), c), cancellationToken);

    private static Task<Results<Ok<CategoryOutput>, ProblemHttpResult>> UpdateCategoryAsync(
        long id, HttpContext http, AdminStore store, AdminCacheEviction evict, PublishConfig config, CancellationToken cancellationToken) =>
        SaveCategoryAsync(id, http, store, evict, config, TypedResults.Ok, cancellationToken);

    private static async Task<Results<Ok<DeletedOutput>, ProblemHttpResult>> DeleteCategoryAsync(
        long id, HttpContext http, AdminStore store, AdminCacheEviction evict, CancellationToken cancellationToken)
    {
        var (ifMatch, badMatch) = IfMatch(http);
        return badMatch ?? await FinishAsync(http, evict, await store.DeleteCategoryAsync(id, ifMatch, cancellationToken).ConfigureAwait(false), null,
            publishId => TypedResults.Ok(new DeletedOutput(id, publishId)), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Results<Ok<ConfigOutput>, ProblemHttpResult>> GetConfigAsync(AdminStore store, HttpContext http, CancellationToken cancellationToken) =>
        await store.GetConfigAsync(cancellationToken).ConfigureAwait(false) is { } config ? WithETag(http, config.Version, TypedResults.Ok(config)) : NotFound("site config");

    private static async Task<Results<Ok<ConfigOutput>, ProblemHttpResult>> SetConfigAsync(
        HttpContext http, AdminStore store, AdminCacheEviction evict, PublishConfig config, CancellationToken cancellationToken)
    {
        var (document, error) = await ReadAsync<JsonElement>(http, config, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (document.ValueKind != JsonValueKind.Object || document.GetRawText().Contains("\\u0000", StringComparison.Ordinal))
        {
            return Invalid(new Dictionary<string, string[]> { ["body"] = ["the site config document must be a JSON object, without NUL characters"] });
        }

        var (ifMatch, badMatch) = IfMatch(http);
        return badMatch ?? await FinishAsync(http, evict, await store.SetConfigAsync(ifMatch, document, cancellationToken).ConfigureAwait(false), c => c.Version,
            TypedResults.Ok, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Results<Accepted<RepublishAccepted>, ProblemHttpResult>> RepublishAsync(
        HttpContext http, AdminStore store, AdminCacheEviction evict, PublishConfig config, CancellationToken cancellationToken)
    {
        var (input, error) = await ReadAsync<RepublishInput>(http, config, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var errors = AdminValidation.Republish(input!);
        return errors.Count > 0 ? Invalid(errors)
            : await FinishAsync(http, evict, await store.RequestRepublishAsync(input!, cancellationToken).ConfigureAwait(false), null,
                id => TypedResults.Accepted(string.Create(CultureInfo.InvariantCulture, $"/admin/publishes/{id}"), new RepublishAccepted(id, "pending")),
                cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Results<Ok<IReadOnlyList<PublishRun>>, ProblemHttpResult>> ListPublishesAsync(int? limit, PublishStatusReader reader, CancellationToken cancellationToken) =>
        limit is < 1 or > 1000
            ? Invalid(new Dictionary<string, string[]> { ["limit"] = ["1 to 1,000"] })
            : TypedResults.Ok(await reader.RecentAsync(limit ?? 20, cancellationToken).ConfigureAwait(false));

    private static async Task<Results<Ok<PublishRequestStatus>, ProblemHttpResult>> GetPublishRequestAsync(long id, PublishStatusReader reader, CancellationToken cancellationToken) =>
        await reader.RequestAsync(id, cancellationToken).ConfigureAwait(false) is { } status ? TypedResults.Ok(status) : NotFound($"publish request {id}");

    private static async Task<Results<TOk, ProblemHttpResult>> SaveCategoryAsync<TOk>(
        long? id, HttpContext http, AdminStore store, AdminCacheEviction evict, PublishConfig config, Func<CategoryOutput, TOk> ok, CancellationToken cancellationToken)
        where TOk : IResult
    {
        var (input, error) = await ReadAsync<CategoryInput>(http, config, cancellationToken).ConfigureAwait(false);
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
        return errors.Count > 0 ? Invalid(errors)
            : await FinishAsync(http, evict, await store.SaveCategoryAsync(id, ifMatch, input!, slug, cancellationToken).ConfigureAwait(false), c => c.RowVersion,
                ok, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A committed change: evict, set the ETag, answer; anything else: its problem.</summary>
    private static async Task<Results<TOk, ProblemHttpResult>> FinishAsync<T, TOk>(
        HttpContext http, AdminCacheEviction evict, AdminOutcome<T> outcome, Func<T, long>? version, Func<T, TOk> ok, CancellationToken cancellationToken)
        where TOk : IResult
    {
        switch (outcome)
        {
            case AdminOutcome<T>.Done done:
                await evict.AfterCommitAsync(done.EvictKeys, cancellationToken).ConfigureAwait(false);
                if (version is not null)
                {
                    http.Response.Headers.ETag = ETag(version(done.Value));
                }

                return ok(done.Value);
            case AdminOutcome<T>.NotFound nf:
                return NotFound(nf.What);
            case AdminOutcome<T>.Stale stale:
                return TypedResults.Problem(statusCode: 412, title: "Precondition Failed",
                    detail: string.Create(CultureInfo.InvariantCulture, $"If-Match names an older row version; the current one is \"{stale.Current}\". Read it again and retry."));
            case AdminOutcome<T>.Conflict c:
                return TypedResults.Problem(statusCode: 409, title: "Conflict", detail: c.Message, extensions: new Dictionary<string, object?> { ["field"] = c.Field });
            case AdminOutcome<T>.Invalid i:
                return Invalid(new Dictionary<string, string[]> { [i.Field] = [i.Message] });
            case AdminOutcome<T>.Unprocessable u:
                return TypedResults.Problem(statusCode: 422, title: "Unprocessable Entity", detail: u.Message, extensions: new Dictionary<string, object?> { ["field"] = u.Field });
            default:
                throw new InvalidOperationException("unknown outcome");
        }
    }

    private static T WithETag<T>(HttpContext http, long version, T result)
    {
        http.Response.Headers.ETag = ETag(version);
        return result;
    }

    private static string ETag(long version) => string.Create(CultureInfo.InvariantCulture, $"\"{version}\"");

    private static ProblemHttpResult NotFound(string what) => TypedResults.Problem(statusCode: 404, title: "Not Found", detail: $"{what} does not exist.");

    /// <summary>400 with an <c>errors</c> map naming each field (what <c>Results.ValidationProblem</c> answers).</summary>
    private static ProblemHttpResult Invalid(IDictionary<string, string[]> errors) => TypedResults.Problem(new HttpValidationProblemDetails(errors));

    /// <summary>If-Match: absent (unconditional), or one quoted row version.</summary>
    private static (long? Version, ProblemHttpResult? Error) IfMatch(HttpContext http)
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
            : (null, Invalid(new Dictionary<string, string[]> { ["If-Match"] = ["one row version as returned in ETag, e.g. \"7\""] }));
    }

    /// <summary>Reads a JSON body within <c>api.adminMaxBodyBytes</c>: 413 past it, 400 naming the bad field.</summary>
    private static async Task<(T? Value, ProblemHttpResult? Error)> ReadAsync<T>(HttpContext http, PublishConfig config, CancellationToken ct)
    {
        var limit = config.Api.AdminMaxBodyBytes;
        var tooLarge = TypedResults.Problem(statusCode: 413, title: "Payload Too Large", detail: string.Create(CultureInfo.InvariantCulture, $"Admin request bodies are limited to {limit} bytes (api.adminMaxBodyBytes)."));
        if (http.Request.ContentLength > limit)
        {
            return (default, tooLarge);
        }

        if (http.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (default, TypedResults.Problem(statusCode: 415, title: "Unsupported Media Type", detail: "Send the body as application/json."));
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
                ? (default, Invalid(new Dictionary<string, string[]> { ["body"] = ["a JSON object is required"] }))
                : (value, null);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return (default, Invalid(new Dictionary<string, string[]> { [field] = [$"not valid JSON for this field: {e.Message.Split(". Path:")[0]}"] }));
        }
    }
}
