using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Polly;
using Polly.Retry;
using Static.Shared.Configuration;

namespace Static.Publisher.Edge;

/// <summary>
/// CloudFront CreateInvalidation (<c>POST /2020-05-31/distribution/{id}/invalidation</c>), signed with SigV4
/// (<see cref="SigV4"/>). Batches are planned within CloudFront's limits (<see cref="InvalidationPlanner"/>).
/// The CallerReference is derived from the publish version, the batch number and the batch's paths, so a
/// retry of the same batch is idempotent (CloudFront answers with the existing invalidation). Throttling
/// (TooManyInvalidationsInProgress, 429, 503) is retried with exponential backoff (Polly); anything else
/// fails the batch, which stays pending in PostgreSQL and is sent again after a backoff
/// (<see cref="PendingInvalidations"/>), or is parked at once when CloudFront rejected the request itself.
/// </summary>
public sealed class CloudFrontInvalidator : ICdnInvalidator
{
    private static readonly XNamespace Ns = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

    /// <summary>
    /// CreateInvalidation's errors that reject the request itself: the same batch can never succeed, so it is
    /// parked at once (a config change, e.g. <c>maxPathsPerRequest</c>, then <c>invalidations --retry</c>).
    /// AccessDenied and NoSuchDistribution are not here: they concern the account, not the batch, every batch
    /// gets them alike and a credential or IAM fix ends them, so they are retried with backoff up to the cap.
    /// TooManyInvalidationsInProgress and Throttling are throttling: retried here, then with backoff.
    /// </summary>
    public static readonly FrozenSet<string> RequestRejectedCodes =
        new[] { "InvalidArgument", "BatchTooLarge", "InconsistentQuantities", "MissingBody" }.ToFrozenSet(StringComparer.Ordinal);
    private readonly HttpClient http;
    private readonly CloudFrontSection settings;
    private readonly string accessKey;
    private readonly string secretKey;
    private readonly string? sessionToken;
    private readonly TimeProvider time;
    private readonly ResiliencePipeline<HttpResponseMessage> retry;

    public CloudFrontInvalidator(HttpClient http, CloudFrontSection settings, string accessKey, string secretKey, string? sessionToken, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrWhiteSpace(settings.DistributionId))
        {
            throw new ConfigException("cdn.cloudFront.distributionId is required when cdn.kind is cloudfront.");
        }

        this.http = http;
        this.settings = settings;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.sessionToken = sessionToken;
        this.time = time;
        retry = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = settings.MaxRetries,
                Delay = settings.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = async args => args.Outcome.Exception is HttpRequestException
                    || (args.Outcome.Result is { } response && await IsThrottledAsync(response).ConfigureAwait(false)),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            })
            .Build();
    }

    public string Description => $"cloudfront distribution {settings.DistributionId} at {settings.Endpoint}";

    public async Task<int> InvalidateAsync(long version, InvalidationRequest request, CancellationToken cancellationToken)
    {
        var batches = InvalidationPlanner.Plan(request, settings);
        var sent = 0;
        for (var i = 0; i < batches.Count; i++)
        {
            var batch = batches[i];
            var reference = CallerReference(version, i, batch);
            var body = Encoding.UTF8.GetBytes(BatchXml(batch, reference));
            using var response = await retry.ExecuteAsync(async ct => await SendAsync(body, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
            {
                var error = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                var code = ErrorCode(error);
                throw new InvalidationFailedException(
                    $"{Description}: CreateInvalidation {reference} answered {(int)response.StatusCode}{(code is null ? "" : " " + code)}: {Truncate(error)}",
                    permanent: code is not null && RequestRejectedCodes.Contains(code));
            }

            sent += batch.Count;
        }

        return sent;
    }

    /// <summary>Stable for the same version, batch number and paths: a retried batch is the same invalidation.</summary>
    public static string CallerReference(long version, int batch, IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', paths))))[..16];
        return string.Create(CultureInfo.InvariantCulture, $"static-v{version}-b{batch}-{hash}");
    }

    public static string BatchXml(IReadOnlyList<string> paths, string callerReference)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var document = new XElement(Ns + "InvalidationBatch",
            new XElement(Ns + "Paths",
                new XElement(Ns + "Quantity", paths.Count),
                new XElement(Ns + "Items", paths.Select(p => new XElement(Ns + "Path", p)))),
            new XElement(Ns + "CallerReference", callerReference));
        return new XDeclaration("1.0", "UTF-8", null) + Environment.NewLine + document.ToString(SaveOptions.DisableFormatting);
    }

    private async Task<HttpResponseMessage> SendAsync(byte[] body, CancellationToken cancellationToken)
    {
        var uri = new Uri(settings.Endpoint, $"/2020-05-31/distribution/{Uri.EscapeDataString(settings.DistributionId)}/invalidation");
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/xml");
        var signed = SigV4.Sign("POST", uri, new Dictionary<string, string> { ["content-type"] = "text/xml", ["content-length"] = body.Length.ToString(CultureInfo.InvariantCulture) }, body,
            accessKey, secretKey, "us-east-1", "cloudfront", time.GetUtcNow().UtcDateTime, sessionToken);
        foreach (var (name, value) in signed)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> IsThrottledAsync(HttpResponseMessage response)
    {
        if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
        {
            return true;
        }

        if (response.StatusCode != HttpStatusCode.BadRequest)
        {
            return false;
        }

        // CloudFront names TooManyInvalidationsInProgress (or Throttling) in the error document's Code.
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return text.Contains("TooManyInvalidationsInProgress", StringComparison.Ordinal) || text.Contains("<Code>Throttling</Code>", StringComparison.Ordinal);
    }

    /// <summary>The <c>Code</c> of a CloudFront error document (<c>ErrorResponse/Error/Code</c>), or null when there is none.</summary>
    public static string? ErrorCode(string body)
    {
        try
        {
            var code = XDocument.Parse(body).Descendants().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value.Trim();
            return string.IsNullOrEmpty(code) ? null : code;
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500];
}
