using System.Globalization;
using Microsoft.Extensions.Options;

namespace Static.Client;

/// <summary>Where the client reads from and how it keeps what it verified.</summary>
public sealed class StaticClientOptions
{
    /// <summary>The CDN's base URL (the edge: CloudFront, or Varnish locally). Read first. Required.</summary>
    public Uri? CdnBaseUrl { get; set; }

    /// <summary>
    /// The Api's base URL: asked for a stable path or <c>/manifest.json</c> when the CDN fails (network error,
    /// 5xx, a body that does not match its hash). Required.
    /// </summary>
    public Uri? ApiBaseUrl { get; set; }

    /// <summary>
    /// A directory of the client's own for verified bodies (by SHA-256) and the held root, ETag and shards,
    /// so a restart needs one conditional manifest request and no body. Null: memory only.
    /// </summary>
    public string? CacheDirectory { get; set; }

    /// <summary>
    /// How often the change feed polls <c>/manifest.json</c>, and how old the held root may be before a read
    /// refreshes it first. Default 30 seconds; at least 100 ms.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The publisher's <c>productsPerShard</c> (default 256): which shard to look in for a product.</summary>
    public int ProductsPerShard { get; set; } = 256;

    /// <summary>
    /// One CDN attempt's timeout (default 2 s). Short on purpose: a dead or hanging CDN should fail over to the
    /// Api in seconds, not the 10 s x 3 of a default client.
    /// </summary>
    public TimeSpan CdnAttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>One Api attempt's timeout (default 5 s): the Api is the last resort, so it gets more patience.</summary>
    public TimeSpan ApiAttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The problems with these options, each naming its field; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        CheckUrl(CdnBaseUrl, nameof(CdnBaseUrl), problems);
        CheckUrl(ApiBaseUrl, nameof(ApiBaseUrl), problems);
        if (CacheDirectory is not null && string.IsNullOrWhiteSpace(CacheDirectory))
        {
            problems.Add($"{nameof(StaticClientOptions)}.{nameof(CacheDirectory)} is blank: give a directory, or leave it null to keep verified bodies in memory only.");
        }

        if (RefreshInterval < TimeSpan.FromMilliseconds(100))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(StaticClientOptions)}.{nameof(RefreshInterval)} is {RefreshInterval}: it must be at least 100 ms."));
        }

        if (ProductsPerShard < 1)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(StaticClientOptions)}.{nameof(ProductsPerShard)} is {ProductsPerShard}: it must be at least 1 (the publisher's productsPerShard, 256 by default)."));
        }

        CheckTimeout(CdnAttemptTimeout, nameof(CdnAttemptTimeout), problems);
        CheckTimeout(ApiAttemptTimeout, nameof(ApiAttemptTimeout), problems);
        return problems;
    }

    private static void CheckUrl(Uri? url, string name, List<string> problems)
    {
        if (url is null)
        {
            problems.Add($"{nameof(StaticClientOptions)}.{name} is required (for example https://cdn.example.com/).");
        }
        else if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"{nameof(StaticClientOptions)}.{name} '{url}' must be an absolute http or https URL.");
        }
    }

    private static void CheckTimeout(TimeSpan timeout, string name, List<string> problems)
    {
        if (timeout < TimeSpan.FromMilliseconds(10) || timeout > TimeSpan.FromMinutes(5))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(StaticClientOptions)}.{name} is {timeout}: it must be between 10 ms and 5 minutes."));
        }
    }
}

/// <summary>Checks <see cref="StaticClientOptions"/> when the host starts (ValidateOnStart), naming each bad field.</summary>
internal sealed class StaticClientOptionsValidator : IValidateOptions<StaticClientOptions>
{
    public ValidateOptionsResult Validate(string? name, StaticClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
