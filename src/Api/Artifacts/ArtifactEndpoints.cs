using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;
using Npgsql;
using Static.Api.Telemetry;
using Static.Shared.Artifacts;
using Static.Shared.Configuration;
using ArtifactResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.FileContentHttpResult,
    Microsoft.AspNetCore.Http.HttpResults.StatusCodeHttpResult,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult,
    Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult>;

namespace Static.Api.Artifacts;

/// <summary>
/// The read paths the CDN falls back to: every stable path the publisher produces (same bytes, same
/// Content-Type, ETag = quoted MD5 of the bytes, cache tags in <c>x-amz-meta-cache-tag</c> like S3), listing pages 2 and on,
/// the live manifest, and stock. GET and HEAD; <c>If-None-Match</c> gets 304; nothing a client sends
/// gets a 500.
/// </summary>
internal static partial class ArtifactEndpoints
{
    public const string StaleHeader = "x-static-stale";
    private static readonly string[] Methods = ["GET", "HEAD"];

    public static IEndpointRouteBuilder MapArtifactEndpoints(this IEndpointRouteBuilder app)
    {
        var artifacts = app.MapGroup("").WithTags("artifacts").RequireCors(ReadCors.Policy).RequireRateLimiting(RateLimiting.ApiRateLimiting.ReadPolicy);
        artifacts.MapMethods("/manifest.json", Methods, ManifestAsync).WithName("Manifest").WithSummary("The live manifest root, as recorded in the publishes table.");
        artifacts.MapMethods("/_manifest/{file}", Methods, ShardAsync).WithName("Shard").WithSummary("A shard of the live manifest (/_manifest/{shard}.{hash}.json), rebuilt from the live artifact index.");
        artifacts.MapMethods("/stock", Methods, StockAsync).WithName("Stock").WithSummary("Stock levels for up to 200 product ids (?ids=1,2,3); never published, cached briefly in memory only.");
        artifacts.MapMethods("/categories/{slug}/{page}.json", Methods, ListingJsonAsync).WithName("Listing").WithSummary("A category listing page; page 1 is the published artifact, later pages are served here only.");
        artifacts.MapMethods("/categories/{slug}/{page}.html", Methods, ListingHtmlAsync).WithName("ListingPage").WithSummary("A category listing page as HTML, through the same template; page 1 is the published artifact, later pages are served here only.");
        artifacts.MapMethods("/_immutable/img/{**variant}", Methods, ImageVariantAsync).WithName("ImageVariant")
            .WithSummary("A product image variant the store does not hold (yet): rendered from its source with the publisher's code, immutable.");
        // Products are most of the fallback traffic: a route of their own, so they skip the catch-all's regex.
        artifacts.MapMethods("/products/{file}", Methods, ArtifactAsync).WithName("Product").WithSummary("A product's page or JSON (/products/{id}.html|json).");
        artifacts.MapMethods("/{**path:regex(^(?!admin(/|$)))}", Methods, ArtifactAsync).WithName("Artifact").WithSummary("Any stable path the publisher produces.");
        return app;
    }

    private static async Task<ArtifactResult> ArtifactAsync(HttpContext http, ArtifactCache cache, ApiMetrics metrics, PublishConfig config, CancellationToken cancellationToken)
    {
        var path = ArtifactPath.TryParse(http.Request.Path.Value);
        if (path is null)
        {
            metrics.NotFound();
            return IsPage(http.Request.Path.Value)
                ? await NotFoundPageAsync(http, cache, http.Request.Path.Value, cancellationToken).ConfigureAwait(false)
                : NotFoundProblem(http.Request.Path.Value);
        }

        var result = await ServeAsync(http, cache, metrics, config, path, cancellationToken).ConfigureAwait(false);
        return result.Result is ProblemHttpResult { StatusCode: StatusCodes.Status404NotFound } && path.IsHtml
            ? await NotFoundPageAsync(http, cache, path.Path, cancellationToken).ConfigureAwait(false)
            : result;
    }

    /// <summary>A page (not data) that does not exist: <c>.html</c>, or a path without an extension.</summary>
    private static bool IsPage(string? path) =>
        path is not null && (path.EndsWith(".html", StringComparison.Ordinal) || !System.IO.Path.HasExtension(path));

    /// <summary>
    /// The published 404 page (the same bytes as <c>/404.html</c>) with status 404, so a browser that reaches a
    /// missing page through the Api sees the shop's page, as it does at the edge; problem details when even that
    /// cannot be rendered.
    /// </summary>
    private static async Task<ArtifactResult> NotFoundPageAsync(HttpContext http, ArtifactCache cache, string? path, CancellationToken cancellationToken)
    {
        try
        {
            var page = await cache.GetAsync(ArtifactPath.NotFoundHtml, cancellationToken).ConfigureAwait(false);
            if (page.Artifact.Found)
            {
                http.Response.Headers.Remove(SurrogateKeys.Header);
                http.Response.Headers.ETag = default;
                http.Response.Headers.CacheControl = "public, max-age=60, s-maxage=5";
                return TypedResults.Content(System.Text.Encoding.UTF8.GetString(page.Artifact.Body), page.Artifact.ContentType, System.Text.Encoding.UTF8, StatusCodes.Status404NotFound);
            }
        }
        catch (SourceUnavailableException)
        {
            // Fall through to problem details.
        }

        return NotFoundProblem(path);
    }

    private static Task<ArtifactResult> ListingJsonAsync(HttpContext http, string slug, string page, ArtifactCache cache, ApiMetrics metrics, PublishConfig config,
        IArtifactSource source, CancellationToken cancellationToken) =>
        ListingAsync(http, slug, page, html: false, cache, metrics, config, source, cancellationToken);

    private static Task<ArtifactResult> ListingHtmlAsync(HttpContext http, string slug, string page, ArtifactCache cache, ApiMetrics metrics, PublishConfig config,
        IArtifactSource source, CancellationToken cancellationToken) =>
        ListingAsync(http, slug, page, html: true, cache, metrics, config, source, cancellationToken);

    private static async Task<ArtifactResult> ListingAsync(HttpContext http, string slug, string page, bool html, ArtifactCache cache, ApiMetrics metrics, PublishConfig config,
        IArtifactSource source, CancellationToken cancellationToken)
    {
        if (!Shared.Catalog.Slug.IsValid(slug) || page.Length == 0 || !(page[0] == '-' || char.IsAsciiDigit(page[0])))
        {
            metrics.NotFound();
            return html ? await NotFoundPageAsync(http, cache, http.Request.Path.Value, cancellationToken).ConfigureAwait(false) : NotFoundProblem(http.Request.Path.Value);
        }

        if (!long.TryParse(page, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < 1 || n > config.Api.MaxListingPage)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid page",
                detail: string.Create(CultureInfo.InvariantCulture, $"Listing pages are numbered 1 to {config.Api.MaxListingPage}; '{page}' is not one of them."));
        }

        if (n == 1)
        {
            var first = await ServeAsync(http, cache, metrics, config, html ? ArtifactPath.CategoryHtml(0, slug) : ArtifactPath.CategoryJson(0, slug), cancellationToken).ConfigureAwait(false);
            return html && first.Result is ProblemHttpResult { StatusCode: StatusCodes.Status404NotFound }
                ? await NotFoundPageAsync(http, cache, http.Request.Path.Value, cancellationToken).ConfigureAwait(false)
                : first;
        }

        try
        {
            // Pages 2 and on: rendered like page 1 (same template), with the tags of the products they show; not cached here,
            // and only briefly at the edge (publish.cacheControl.listingPage): no publish purges them.
            var path = html ? ArtifactPath.CategoryHtml(0, slug, (int)n) : ArtifactPath.CategoryJson(0, slug, (int)n);
            var listing = await source.LoadAsync(path, cancellationToken).ConfigureAwait(false);
            if (!listing.Found)
            {
                metrics.NotFound();
                return html ? await NotFoundPageAsync(http, cache, http.Request.Path.Value, cancellationToken).ConfigureAwait(false) : NotFoundProblem(http.Request.Path.Value);
            }

            http.Response.Headers[SurrogateKeys.Header] = listing.SurrogateKeys;
            http.Response.Headers.CacheControl = config.Publish.CacheControl.ListingPage;
            return Bytes(http, listing.Body, listing.ETag, listing.ContentType);
        }
        catch (NpgsqlException)
        {
            return Unavailable(http);
        }
    }

    /// <summary>Variants rendered at once here: a miss costs a decode and an encode, so a burst of them queues.</summary>
    private static readonly SemaphoreSlim VariantRenders = new(2);

    /// <summary>
    /// The edge's fallback for an image variant missing from the store (published objects never are; a store wiped
    /// or a page rendered by the Api ahead of the publisher can ask): rendered from <c>image_sources</c> by the
    /// publisher's code, so the same bytes, with the immutable Cache-Control. Only this pipeline's URLs and only the
    /// widths the source has are answered; anything else is 404.
    /// </summary>
    private static async Task<ArtifactResult> ImageVariantAsync(HttpContext http, Shared.Catalog.ImageStore images, PublishConfig config, CancellationToken cancellationToken)
    {
        var pipeline = Shared.Images.ImagePipeline.From(config.Images);
        if (!pipeline.TryParseUrl(http.Request.Path.Value, out var sha, out var width, out var format))
        {
            return NotFoundProblem(http.Request.Path.Value);
        }

        try
        {
            var source = await images.GetSourceAsync(sha, cancellationToken).ConfigureAwait(false);
            var variant = source is null ? null
                : pipeline.Variants(new Shared.Catalog.ProductImage(source.Sha256, source.Width, source.Height)).FirstOrDefault(v => v.Width == width && v.Format == format);
            if (source is null || variant is null)
            {
                return NotFoundProblem(http.Request.Path.Value);
            }

            await VariantRenders.WaitAsync(cancellationToken).ConfigureAwait(false);
            byte[] body;
            try
            {
                body = Templates.Images.ImageCodec.Render(source.Bytes, [variant], pipeline)[0].Bytes;
            }
            finally
            {
                VariantRenders.Release();
            }

            http.Response.Headers.CacheControl = config.Publish.CacheControl.Immutable;
            return Bytes(http, body, DatabaseArtifactSource.ETagOf(body), variant.ContentType);
        }
        catch (NpgsqlException)
        {
            return Unavailable(http);
        }
    }

    private static async Task<ArtifactResult> ManifestAsync(HttpContext http, LiveManifestReader manifests, PublishConfig config, CancellationToken cancellationToken)
    {
        try
        {
            var root = await manifests.LiveRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Nothing published yet", detail: "Run 'publisher publish' first.");
            }

            http.Response.Headers.CacheControl = config.Publish.CacheControl.Manifest;
            return Bytes(http, root, DatabaseArtifactSource.ETagOf(root), "application/json; charset=utf-8");
        }
        catch (NpgsqlException)
        {
            return Unavailable(http);
        }
    }

    private static async Task<ArtifactResult> ShardAsync(HttpContext http, string file, LiveShardReader shards, PublishConfig config, CancellationToken cancellationToken)
    {
        if (!LiveShardReader.TryParseFile(file, out var shard, out var hash))
        {
            return NotFoundProblem(http.Request.Path.Value);
        }

        try
        {
            var body = await shards.GetAsync(shard, hash, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not the live shard",
                    detail: $"The Api serves only the live version's shards; {Truncate(http.Request.Path.Value)} is not one of them.");
            }

            http.Response.Headers.CacheControl = config.Publish.CacheControl.Immutable;
            return Bytes(http, body, DatabaseArtifactSource.ETagOf(body), "application/json; charset=utf-8");
        }
        catch (NpgsqlException)
        {
            return Unavailable(http);
        }
    }

    private static async Task<ArtifactResult> StockAsync(HttpContext http, StockReader stock, CancellationToken cancellationToken)
    {
        var raw = http.Request.Query["ids"];
        if (!TryParseIds(raw, out var ids, out var error))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid ids", detail: error);
        }

        try
        {
            var body = await stock.GetAsync(ids, cancellationToken).ConfigureAwait(false);
            http.Response.Headers.CacheControl = "public, max-age=1, s-maxage=1";
            return Bytes(http, body, DatabaseArtifactSource.ETagOf(body), "application/json; charset=utf-8");
        }
        catch (NpgsqlException)
        {
            return Unavailable(http);
        }
    }

    private static async Task<ArtifactResult> ServeAsync(HttpContext http, ArtifactCache cache, ApiMetrics metrics, PublishConfig config, ArtifactPath path, CancellationToken cancellationToken)
    {
        CacheAnswer answer;
        try
        {
            answer = await cache.GetAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (SourceUnavailableException)
        {
            return Unavailable(http);
        }

        if (answer.Stale)
        {
            http.Response.Headers[StaleHeader] = "1";
        }

        if (!answer.Artifact.Found)
        {
            metrics.NotFound();
            return NotFoundProblem(path.Path);
        }

        http.Response.Headers[SurrogateKeys.Header] = answer.Artifact.SurrogateKeys;
        http.Response.Headers.CacheControl = config.Publish.CacheControl.For(path.Class);
        return Bytes(http, answer.Artifact.Body, answer.Artifact.ETag, answer.Artifact.ContentType);
    }

    private static ArtifactResult Bytes(HttpContext http, byte[] body, string etag, string contentType)
    {
        http.Response.Headers.ETag = etag;
        var ifNoneMatch = http.Request.Headers.IfNoneMatch;
        if (!StringValues.IsNullOrEmpty(ifNoneMatch) && ifNoneMatch.ToString().Split(',').Any(t => t.Trim() == etag || t.Trim() == "*"))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        // HEAD: same headers, no body (Kestrel drops the body of a HEAD response).
        return TypedResults.Bytes(body, contentType);
    }

    private static ProblemHttpResult NotFoundProblem(string? path) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"Nothing is published at {Truncate(path)}.");

    private static ProblemHttpResult Unavailable(HttpContext http)
    {
        http.Response.Headers.RetryAfter = "5";
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Catalog unavailable",
            detail: "The catalog database cannot be reached and this answer is not cached. Retry shortly.",
            extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = 5 });
    }

    private static string Truncate(string? path) => path is null ? "" : path.Length <= 100 ? path : path[..100] + "…";

    internal static bool TryParseIds(StringValues raw, out long[] ids, out string error)
    {
        ids = [];
        error = "";
        var text = raw.ToString();
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "Pass product ids as ?ids=1,2,3 (at most 200).";
            return false;
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length > 200)
        {
            error = $"At most 200 ids per request; got {parts.Length}.";
            return false;
        }

        var list = new SortedSet<long>();
        foreach (var part in parts)
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
            {
                error = $"'{Truncate(part)}' is not a product id.";
                return false;
            }

            list.Add(id);
        }

        ids = [.. list];
        return true;
    }
}
