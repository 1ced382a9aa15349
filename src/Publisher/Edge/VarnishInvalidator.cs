using System.Net;

namespace Static.Publisher.Edge;

/// <summary>
/// Purges the local Varnish edge by surrogate key: every object the edge holds carries <c>path:{path}</c>
/// among its xkeys (from the S3 object's metadata, the Api's <c>xkey</c> header, or, for a cached 404, the
/// VCL), so purging by path key is independent of the Host a client used. PURGE is accepted from loopback only.
/// </summary>
public sealed class VarnishInvalidator(HttpClient http, Uri edge, int keysPerRequest) : ICdnInvalidator
{
    public string Description => $"varnish at {edge}";

    public async Task<int> InvalidateAsync(long version, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var keys = paths.Select(p => "path:" + p).Distinct(StringComparer.Ordinal).ToList();
        foreach (var batch in keys.Chunk(keysPerRequest))
        {
            using var request = new HttpRequestMessage(new HttpMethod("PURGE"), new Uri(edge, "/"));
            request.Headers.TryAddWithoutValidation("xkey-purge", string.Join(' ', batch));
            try
            {
                using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidationFailedException($"{Description}: PURGE answered {(int)response.StatusCode} {response.ReasonPhrase}.");
                }
            }
            catch (HttpRequestException e)
            {
                throw new InvalidationFailedException($"{Description}: cannot reach the edge ({e.Message}).", e);
            }
        }

        return keys.Count;
    }
}
