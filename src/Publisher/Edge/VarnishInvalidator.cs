using System.Net;

namespace Static.Publisher.Edge;

/// <summary>
/// Purges the local Varnish edge by surrogate key: every object the edge holds carries <c>path:{path}</c>
/// among its xkeys (from the <c>x-amz-meta-cache-tag</c> header both origins send, or, for a cached 404, the
/// VCL), so purging by path key is independent of the Host a client used. Varnish purges are free and exact,
/// so it is sent every path (the request's cache tags are for CloudFront); <see cref="InvalidationRequest.Everything"/>
/// becomes one BAN. PURGE and BAN are accepted from loopback only.
/// </summary>
public sealed class VarnishInvalidator(HttpClient http, Uri edge, int keysPerRequest) : ICdnInvalidator
{
    public string Description => $"varnish at {edge}";

    public async Task<int> InvalidateAsync(long version, InvalidationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Paths.Contains(InvalidationRequest.Everything))
        {
            // The whole site (a first publish): one BAN whose URL, as a regex, matches every object's x-url.
            using var ban = new HttpRequestMessage(new HttpMethod("BAN"), new Uri(edge, "/"));
            await SendAsync(ban, cancellationToken).ConfigureAwait(false);
            return 1;
        }

        var keys = request.Paths.Select(p => "path:" + p).Distinct(StringComparer.Ordinal).ToList();
        foreach (var batch in keys.Chunk(keysPerRequest))
        {
            using var purge = new HttpRequestMessage(new HttpMethod("PURGE"), new Uri(edge, "/"));
            purge.Headers.TryAddWithoutValidation("xkey-purge", string.Join(' ', batch));
            await SendAsync(purge, cancellationToken).ConfigureAwait(false);
        }

        return keys.Count;
    }

    private async Task SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidationFailedException($"{Description}: {request.Method} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }
        }
        catch (HttpRequestException e)
        {
            throw new InvalidationFailedException($"{Description}: cannot reach the edge ({e.Message}).", e);
        }
    }
}
