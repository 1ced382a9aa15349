using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Static.Shared.Configuration;
using Static.Shared.Manifests;
using Static.Templates.Images;

namespace Static.Api.Admin;

/// <summary>One accepted file of an image upload: its bytes, hash and what decoding found.</summary>
public sealed record ImageUpload(string Sha256, string ContentType, int Width, int Height, byte[] Bytes);

/// <summary>
/// Reads <c>PUT /admin/products/{id}/images</c>: a multipart/form-data body of one to <c>images.maxFiles</c> files,
/// in order, streamed part by part within <c>images.maxRequestBytes</c> (413 past it) and <c>images.maxFileBytes</c>
/// per file (413 naming the file). Each file must be JPEG, PNG or WebP by its magic bytes and decode whole as that
/// type, with each side within <c>images.minDimension</c>..<c>images.maxDimension</c> (400 naming each bad file).
/// </summary>
internal static class ImageUploads
{
    public static async Task<(IReadOnlyList<ImageUpload> Files, ProblemHttpResult? Error)> ReadAsync(HttpContext http, ImagesSection limits, CancellationToken cancellationToken)
    {
        var request = http.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            return ([], TypedResults.Problem(statusCode: 415, title: "Unsupported Media Type",
                detail: "Send the images as multipart/form-data, one file part per image, in the order the product shows them."));
        }

        if (request.ContentLength > limits.MaxRequestBytes)
        {
            return ([], TooLarge($"The upload has {request.ContentLength:N0} bytes; at most {limits.MaxRequestBytes:N0} are accepted (images.maxRequestBytes)."));
        }

        // Uploads are larger than the server's default body limit: this route has its own.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = limits.MaxRequestBytes;
        }

        var files = new List<(string Name, byte[] Bytes)>();
        var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
        long total = 0;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
            {
                if (string.IsNullOrEmpty(section.ContentDisposition))
                {
                    continue;   // not a form-data part (an empty form serialises as one such part): ignored
                }

                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                {
                    return ([], Invalid("files", "only file parts are accepted (Content-Disposition: form-data; name=\"files\"; filename=\"...\")"));
                }

                var name = Shorten(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "");
                var field = string.Create(CultureInfo.InvariantCulture, $"files[{files.Count}]");
                if (files.Count == limits.MaxFiles)
                {
                    return ([], Invalid("files", string.Create(CultureInfo.InvariantCulture, $"at most {limits.MaxFiles} files per upload (images.maxFiles)")));
                }

                using var buffer = new MemoryStream();
                var chunk = new byte[81920];
                int n;
                while ((n = await section.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += n;
                    if (buffer.Length + n > limits.MaxFileBytes)
                    {
                        return ([], TooLarge($"{field} ({name}) has more than {limits.MaxFileBytes:N0} bytes (images.maxFileBytes).", field));
                    }

                    if (total > limits.MaxRequestBytes)
                    {
                        return ([], TooLarge($"The upload has more than {limits.MaxRequestBytes:N0} bytes (images.maxRequestBytes)."));
                    }

                    buffer.Write(chunk, 0, n);
                }

                files.Add((name, buffer.ToArray()));
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // A malformed multipart body, or Kestrel's body limit.
            return ([], e is BadHttpRequestException { StatusCode: 413 }
                ? TooLarge($"The upload has more than {limits.MaxRequestBytes:N0} bytes (images.maxRequestBytes).")
                : Invalid("body", "not a well-formed multipart/form-data body: " + e.Message));
        }

        if (files.Count == 0)
        {
            return ([], Invalid("files", "at least one image file is required"));
        }

        var errors = new Dictionary<string, string[]>();
        var accepted = new List<ImageUpload>(files.Count);
        var bounds = new ImageLimits(limits.MaxFileBytes, limits.MinDimension, limits.MaxDimension);
        for (var i = 0; i < files.Count; i++)
        {
            var inspection = ImageCodec.Inspect(files[i].Bytes, bounds);
            if (!inspection.Valid)
            {
                errors[string.Create(CultureInfo.InvariantCulture, $"files[{i}]")] = [$"{files[i].Name}: {inspection.Error}"];
                continue;
            }

            accepted.Add(new ImageUpload(ContentHash.Sha256(files[i].Bytes), inspection.ContentType!, inspection.Width, inspection.Height, files[i].Bytes));
        }

        return errors.Count > 0 ? ([], TypedResults.Problem(new HttpValidationProblemDetails(errors) { Detail = "Each file must be a JPEG, PNG or WebP image within the size limits." })) : (accepted, null);
    }

    private static string Shorten(string name) => name.Length <= 100 ? name : name[..100] + "…";

    private static ProblemHttpResult Invalid(string field, string message) =>
        TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] }));

    private static ProblemHttpResult TooLarge(string detail, string? field = null) =>
        TypedResults.Problem(statusCode: 413, title: "Payload Too Large", detail: detail,
            extensions: field is null ? null : new Dictionary<string, object?> { ["field"] = field });
}
