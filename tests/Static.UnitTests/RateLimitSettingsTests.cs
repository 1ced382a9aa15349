using System.Collections;
using System.Net;
using Static.Shared.Configuration;

namespace Static.UnitTests;

/// <summary>api.rateLimits in publish-config.json: defaults, and bad values named by their field.</summary>
public sealed class RateLimitSettingsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("static-config-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Defaults_are_on_and_trust_loopback_only()
    {
        var limits = Load("{}").Api.RateLimits;
        Assert.True(limits.Enabled);
        Assert.Equal((500, 2000, 200, 2000), (limits.AdminPermitsPerSecond, limits.AdminBurst, limits.ReadPermitsPerSecond, limits.ReadBurst));
        var trusted = limits.TrustedNetworks();
        Assert.Contains(trusted, n => n.Contains(IPAddress.Parse("127.0.0.1")));
        Assert.Contains(trusted, n => n.Contains(IPAddress.IPv6Loopback));
        Assert.DoesNotContain(trusted, n => n.Contains(IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public void Trusted_edges_take_addresses_and_networks()
    {
        var trusted = Load("""{ "api": { "rateLimits": { "trustedEdges": ["10.0.0.5", "192.168.0.0/16", "2001:db8::/32"] } } }""").Api.RateLimits.TrustedNetworks();
        Assert.Contains(trusted, n => n.Contains(IPAddress.Parse("10.0.0.5")));
        Assert.DoesNotContain(trusted, n => n.Contains(IPAddress.Parse("10.0.0.6")));
        Assert.Contains(trusted, n => n.Contains(IPAddress.Parse("192.168.44.1")));
        Assert.Contains(trusted, n => n.Contains(IPAddress.Parse("2001:db8::1")));
        Assert.DoesNotContain(trusted, n => n.Contains(IPAddress.Loopback));
    }

    [Theory]
    [InlineData("""{ "api": { "rateLimits": { "trustedEdges": ["10.0.0.300"] } } }""", "api.rateLimits.trustedEdges")]
    [InlineData("""{ "api": { "rateLimits": { "trustedEdges": ["edge.example"] } } }""", "api.rateLimits.trustedEdges")]
    [InlineData("""{ "api": { "rateLimits": { "adminPermitsPerSecond": 0 } } }""", "api.rateLimits.adminPermitsPerSecond")]
    [InlineData("""{ "api": { "rateLimits": { "readBurst": -1 } } }""", "api.rateLimits.readBurst")]
    [InlineData("""{ "api": { "rateLimits": { "enabled": "sometimes" } } }""", "api.rateLimits.enabled")]
    [InlineData("""{ "api": { "rateLimits": { "perToken": 5 } } }""", "api.rateLimits.perToken")]
    public void A_bad_value_is_named(string json, string field) =>
        Assert.Contains(field, Assert.Throws<ConfigException>(() => Load(json)).Message, StringComparison.Ordinal);

    private PublishConfig Load(string json)
    {
        var path = Path.Combine(dir, "publish-config.json");
        File.WriteAllText(path, json);
        return PublishConfigLoader.Load(path, new Hashtable());
    }
}
