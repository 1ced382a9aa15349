using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Static.Shared.Configuration;

/// <summary>
/// <c>api.rateLimits</c>: ASP.NET Core's token-bucket limiter on the Api. <c>/admin</c> is limited per admin token
/// (a script that runs away cannot hog the primary); the read routes per client address, where the client address
/// is the peer's, or, when the peer is a trusted edge, the nearest untrusted address in its <c>X-Forwarded-For</c>.
/// A trusted edge's own traffic (no untrusted address behind it) is never limited: it speaks for every viewer at
/// once, and Varnish, CloudFront or a benchmark on loopback would otherwise be throttled as one client. Past a
/// limit: 429 with <c>Retry-After</c> and problem details. The defaults are far above what the benchmarks send per
/// token and per address; they stay on.
/// </summary>
public sealed class RateLimitSection
{
    /// <summary>Off, nothing is limited (the limiter middleware still runs, with no-op partitions).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Sustained <c>/admin</c> requests per second per admin token (an anonymous request: per client address).</summary>
    [Range(1, 1_000_000)]
    public int AdminPermitsPerSecond { get; set; } = 500;

    /// <summary>How many <c>/admin</c> requests one token may send at once before the sustained rate applies.</summary>
    [Range(1, 1_000_000)]
    public int AdminBurst { get; set; } = 2000;

    /// <summary>Sustained read requests per second per client address (every route but <c>/admin</c>, health and metrics).</summary>
    [Range(1, 1_000_000)]
    public int ReadPermitsPerSecond { get; set; } = 200;

    /// <summary>How many read requests one client address may send at once before the sustained rate applies.</summary>
    [Range(1, 1_000_000)]
    public int ReadBurst { get; set; } = 2000;

    /// <summary>
    /// The edge's addresses or networks (<c>10.0.0.5</c>, <c>10.0.0.0/16</c>, <c>::1</c>), whose <c>X-Forwarded-For</c>
    /// is believed. Empty (the default): loopback only (<c>127.0.0.0/8</c>, <c>::1</c>), where the local Varnish runs.
    /// </summary>
    [IpNetworks]
    public List<string> TrustedEdges { get; set; } = [];

    /// <summary>The trusted networks, loopback when none is set. Call after validation.</summary>
    public IReadOnlyList<IPNetwork> TrustedNetworks() =>
        TrustedEdges.Count == 0
            ? [new IPNetwork(IPAddress.Parse("127.0.0.0"), 8), new IPNetwork(IPAddress.IPv6Loopback, 128)]
            : [.. TrustedEdges.Select(e => IpNetworksAttribute.TryParse(e, out var network) ? network : throw new InvalidOperationException($"api.rateLimits.trustedEdges: '{e}' is not an address or network"))];
}

/// <summary><c>api.rateLimits.trustedEdges</c>: each entry an IP address or a network in CIDR notation.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class IpNetworksAttribute : ValidationAttribute
{
    public IpNetworksAttribute()
        : base("The field {0} must list IP addresses or networks in CIDR notation, such as 10.0.0.5, 10.0.0.0/16 or ::1")
    {
    }

    public override bool IsValid(object? value) => value is not IEnumerable<string> entries || entries.All(e => TryParse(e, out _));

    public static bool TryParse(string? entry, out IPNetwork network)
    {
        network = default;
        var text = entry?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (IPAddress.TryParse(text, out var address) && !text.Contains('/', StringComparison.Ordinal))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return IPNetwork.TryParse(text, out network);
    }
}
