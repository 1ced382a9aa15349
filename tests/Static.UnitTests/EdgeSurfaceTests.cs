using System.Text.Json;
using System.Text.RegularExpressions;
using Static.Publisher.Edge;
using Static.Shared.Artifacts;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Shared.Images;

namespace Static.UnitTests;

/// <summary>The generated edge configs route only the Api's public reads and carry the security headers (issue 14).</summary>
public sealed class EdgeSurfaceTests
{
    private static readonly Regex ApiReads = new(EdgeRoutes.ApiReadPattern, RegexOptions.CultureInvariant);

    /// <summary>Every shape the Api reads: the stable paths the publisher produces, and the Api's own routes.</summary>
    public static TheoryData<string> PublicReads()
    {
        var image = ImagePipeline.From(new ImagesSection()).Variants(new ProductImage(new string('a', 64), 800, 600))[0].Url;
        return new TheoryData<string>
        {
            ArtifactPath.HomeHtml.Path, ArtifactPath.HomeJson.Path, ArtifactPath.ConfigJson.Path, ArtifactPath.NotFoundHtml.Path,
            ArtifactPath.RobotsTxt.Path, ArtifactPath.SitemapIndex.Path, ArtifactPath.Sitemap(ArtifactPath.SitemapProducts, 3).Path,
            ArtifactPath.Asset("sw.js").Path, ArtifactPath.Asset("site.css").Path, ArtifactPath.ProductHtml(12).Path, ArtifactPath.ProductJson(12).Path,
            ArtifactPath.CategoryHtml(0, "garden-tools").Path, ArtifactPath.CategoryJson(0, "garden-tools", 7).Path, ArtifactPath.CategoryHtml(0, "garden-tools", 2).Path,
            "/manifest.json", "/_manifest/products-0.0123456789abcdef.json", "/stock", image,
        };
    }

    [Theory]
    [MemberData(nameof(PublicReads))]
    public void A_public_read_may_fall_back_to_the_Api(string path)
    {
        Assert.Matches(ApiReads, path);
        Assert.Equal(path == "/stock" ? "api" : "s3-then-api", CloudFrontTarget(CloudFrontConfigGenerator.Generate(new PublishConfig(), "static-site"), path));
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/metrics")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/admin/products/1")]
    [InlineData("/admin")]
    [InlineData("/_immutable/0123abcd.json")]
    [InlineData("/stockpile")]
    public void Anything_else_stays_with_the_store(string path)
    {
        Assert.DoesNotMatch(ApiReads, path);
        Assert.Equal("s3", CloudFrontTarget(CloudFrontConfigGenerator.Generate(new PublishConfig(), "static-site"), path));
    }

    /// <summary>Varnish matches the raw URL: a dot-segment trick behind a public prefix is not a public read (CloudFront normalises it first).</summary>
    [Fact]
    public void A_path_with_dot_segments_is_no_public_read() => Assert.DoesNotMatch(ApiReads, "/products/1.html/../../metrics");

    [Fact]
    public void The_VCL_falls_back_on_the_route_pattern_probes_a_public_route_and_sets_the_headers()
    {
        var config = new PublishConfig();
        config.Client.ApiBaseUrl = "https://api.shop.example";
        var vcl = VarnishConfigGenerator.Generate(config, new Uri("http://127.0.0.1:56000"), "static-site");
        Assert.Contains($"bereq.http.x-client-url ~ \"{EdgeRoutes.ApiReadPattern}\") {{ return (retry); }}", vcl, StringComparison.Ordinal);
        Assert.DoesNotContain("/healthz\"", vcl, StringComparison.Ordinal);
        Assert.Contains(".url = \"/stock\"; .expected_response = 400;", vcl, StringComparison.Ordinal);
        Assert.Contains("return (synth(405, \"Method Not Allowed\"))", vcl, StringComparison.Ordinal);
        Assert.Contains($"set resp.http.Content-Security-Policy = \"{SecurityHeaders.ContentSecurityPolicy(config)}\";", vcl, StringComparison.Ordinal);
        Assert.Contains("set resp.http.X-Content-Type-Options = \"nosniff\";", vcl, StringComparison.Ordinal);
        Assert.Contains("set resp.http.Referrer-Policy = \"strict-origin-when-cross-origin\";", vcl, StringComparison.Ordinal);
    }

    [Fact]
    public void The_CSP_allows_the_Api_base_URL_to_be_read_and_nothing_inline()
    {
        var config = new PublishConfig();
        Assert.Contains("connect-src 'self';", SecurityHeaders.ContentSecurityPolicy(config), StringComparison.Ordinal);
        config.Client.ApiBaseUrl = "https://api.shop.example";
        var csp = SecurityHeaders.ContentSecurityPolicy(config);
        Assert.Contains("connect-src 'self' https://api.shop.example;", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
    }

    [Fact]
    public void The_CloudFront_headers_policy_carries_the_CSP_nosniff_referrer_policy_and_HSTS()
    {
        var config = new PublishConfig();
        config.Client.ApiBaseUrl = "https://api.shop.example";
        using var policy = JsonDocument.Parse(CloudFrontConfigGenerator.GenerateResponseHeadersPolicy(config));
        var security = policy.RootElement.GetProperty("SecurityHeadersConfig");
        Assert.Equal(SecurityHeaders.ContentSecurityPolicy(config), security.GetProperty("ContentSecurityPolicy").GetProperty("ContentSecurityPolicy").GetString());
        Assert.True(security.GetProperty("ContentTypeOptions").GetProperty("Override").GetBoolean());
        Assert.Equal("strict-origin-when-cross-origin", security.GetProperty("ReferrerPolicy").GetProperty("ReferrerPolicy").GetString());
        Assert.Equal(31_536_000, security.GetProperty("StrictTransportSecurity").GetProperty("AccessControlMaxAgeSec").GetInt32());
    }

    [Fact]
    public void Listing_pages_2_and_on_default_to_a_short_shared_TTL()
    {
        var cacheControl = new PublishConfig().Publish.CacheControl;
        Assert.Equal("public, max-age=60, s-maxage=60", cacheControl.ListingPage);
        Assert.Contains("s-maxage=86400", cacheControl.Html, StringComparison.Ordinal);
    }

    /// <summary>The origin CloudFront sends a path to: the first behaviour whose glob matches, in order, else the default.</summary>
    private static string CloudFrontTarget(string distributionJson, string path)
    {
        using var document = JsonDocument.Parse(distributionJson);
        foreach (var behaviour in document.RootElement.GetProperty("CacheBehaviors").GetProperty("Items").EnumerateArray())
        {
            var glob = "^" + Regex.Escape(behaviour.GetProperty("PathPattern").GetString()!).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$";
            if (Regex.IsMatch(path, glob, RegexOptions.CultureInvariant))
            {
                return behaviour.GetProperty("TargetOriginId").GetString()!;
            }
        }

        return document.RootElement.GetProperty("DefaultCacheBehavior").GetProperty("TargetOriginId").GetString()!;
    }
}
