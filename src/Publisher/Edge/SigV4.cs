using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime.Internal.Auth;

namespace Static.Publisher.Edge;

/// <summary>
/// AWS Signature Version 4 for hand-built requests. AWSSDK.CloudFront is not served here, so the CloudFront
/// client builds its own request; the signature itself comes from AWSSDK.Core's signer
/// (<see cref="AWS4Signer.ComputeSignature(string, string, string, DateTime, string, string, string)"/>),
/// which lives in an Internal namespace — this class is the one place that touches it.
/// </summary>
public static class SigV4
{
    /// <summary>The headers to put on the request (Authorization, x-amz-date, x-amz-content-sha256, and x-amz-security-token when given).</summary>
    public static IReadOnlyDictionary<string, string> Sign(
        string method, Uri uri, IReadOnlyDictionary<string, string> headers, ReadOnlySpan<byte> body,
        string accessKey, string secretKey, string region, string service, DateTime signedAtUtc, string? sessionToken = null, bool includeContentHash = true)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(headers);
        var amzDate = signedAtUtc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(body));
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            all[name.ToLowerInvariant()] = value.Trim();
        }

        all["host"] = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
        all["x-amz-date"] = amzDate;
        if (includeContentHash)
        {
            all["x-amz-content-sha256"] = payloadHash;
        }

        if (sessionToken is not null)
        {
            all["x-amz-security-token"] = sessionToken;
        }

        var signedHeaders = string.Join(';', all.Keys);
        var canonical = new StringBuilder()
            .Append(method).Append('\n')
            .Append(CanonicalPath(uri)).Append('\n')
            .Append(CanonicalQuery(uri)).Append('\n');
        foreach (var (name, value) in all)
        {
            canonical.Append(name).Append(':').Append(value).Append('\n');
        }

        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(payloadHash);
        var result = AWS4Signer.ComputeSignature(accessKey, secretKey, region, signedAtUtc, service, signedHeaders, canonical.ToString());

        var signed = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Authorization"] = result.ForAuthorizationHeader,
            ["x-amz-date"] = amzDate,
        };
        if (includeContentHash)
        {
            signed["x-amz-content-sha256"] = payloadHash;
        }

        if (sessionToken is not null)
        {
            signed["x-amz-security-token"] = sessionToken;
        }

        return signed;
    }

    private static string CanonicalPath(Uri uri) =>
        string.Join('/', uri.AbsolutePath.Split('/').Select(s => Uri.EscapeDataString(Uri.UnescapeDataString(s))));

    private static string CanonicalQuery(Uri uri)
    {
        var query = uri.Query.TrimStart('?');
        if (query.Length == 0)
        {
            return "";
        }

        return string.Join('&', query.Split('&')
            .Select(p => p.Split('=', 2))
            .Select(p => (Key: Uri.EscapeDataString(Uri.UnescapeDataString(p[0])), Value: p.Length > 1 ? Uri.EscapeDataString(Uri.UnescapeDataString(p[1])) : ""))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}"));
    }
}
