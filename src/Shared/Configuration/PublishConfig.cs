using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Static.Shared.Configuration;

/// <summary>
/// publish-config.json: what is published, where, and how. Bound with unknown keys rejected (<see cref="PublishConfigBinding"/>) and
/// validated at start-up by <see cref="PublishConfigValidator"/>; each section is documented in README.md.
/// </summary>
public sealed class PublishConfig
{
    [Required, ValidateObjectMembers]
    public SiteSection Site { get; set; } = new();

    [Required, ValidateObjectMembers]
    public CatalogSection Catalog { get; set; } = new();

    [Required, ValidateObjectMembers]
    public SeedSection Seed { get; set; } = new();

    [Required, ValidateObjectMembers]
    public StoreSection Store { get; set; } = new();

    [Required, ValidateObjectMembers]
    public PublishSection Publish { get; set; } = new();

    [Required, ValidateObjectMembers]
    public ScheduleSection Schedule { get; set; } = new();

    [Required, ValidateObjectMembers]
    public RetentionSection Retention { get; set; } = new();

    [Required, ValidateObjectMembers]
    public ApiSection Api { get; set; } = new();

    [Required, ValidateObjectMembers]
    public CdnSection Cdn { get; set; } = new();

    [Required, ValidateObjectMembers]
    public OutboxSection Outbox { get; set; } = new();

    [Required, ValidateObjectMembers]
    public CorsSection Cors { get; set; } = new();

    [Required, ValidateObjectMembers]
    public ClientSection Client { get; set; } = new();

    [Required, ValidateObjectMembers]
    public ImagesSection Images { get; set; } = new();
}

/// <summary>
/// The product-image pipeline (docs/images.md): the variant widths and encoder qualities the publisher renders,
/// and the limits of <c>PUT /admin/products/{id}/images</c>. Widths and qualities are part of every variant's URL
/// (the pipeline token) and of the settings fingerprint, so changing them re-renders the pages once and uploads new
/// variants under new URLs; nothing published is overwritten.
/// </summary>
public sealed class ImagesSection
{
    /// <summary>Variant widths in pixels, ascending (default 320, 640, 960). A source narrower than a width is never upscaled.</summary>
    [ImageWidths]
    public List<int> Widths { get; set; } = [];

    /// <summary>WebP quality, 1 to 100.</summary>
    [Range(1, 100)]
    public int WebpQuality { get; set; } = 80;

    /// <summary>JPEG quality (the fallback for browsers without WebP), 1 to 100.</summary>
    [Range(1, 100)]
    public int JpegQuality { get; set; } = 82;

    /// <summary>Files in one upload (they replace the product's images, in order).</summary>
    [Range(1, 50)]
    public int MaxFiles { get; set; } = 8;

    /// <summary>Largest file in an upload, in bytes.</summary>
    [Range(1024, 100 * 1024 * 1024)]
    public int MaxFileBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Largest upload request (all files and the multipart framing), in bytes; more gets 413.</summary>
    [Range(1024, 512 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 40 * 1024 * 1024;

    /// <summary>Smallest accepted width and height of a source, in pixels.</summary>
    [Range(1, 4096)]
    public int MinDimension { get; set; } = 64;

    /// <summary>Largest accepted width and height of a source, in pixels (a decoded 8000 × 8000 image takes 256 MB).</summary>
    [Range(64, 16384)]
    public int MaxDimension { get; set; } = 8000;

    /// <summary>The widths in effect: <see cref="Widths"/>, or 320, 640, 960 when none are configured.</summary>
    public IReadOnlyList<int> EffectiveWidths() => Widths.Count > 0 ? Widths : [320, 640, 960];
}

/// <summary><c>images.widths</c>: one to six widths, each 16 to 4096, strictly ascending.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ImageWidthsAttribute : ValidationAttribute
{
    public ImageWidthsAttribute()
        : base("The field {0} must list one to six widths from 16 to 4096 pixels in ascending order, such as [320, 640, 960]")
    {
    }

    public override bool IsValid(object? value) =>
        value is not IReadOnlyList<int> widths || widths.Count == 0
        || (widths.Count <= 6 && widths.All(w => w is >= 16 and <= 4096) && widths.Zip(widths.Skip(1)).All(pair => pair.First < pair.Second));
}

/// <summary>
/// What the published pages tell the browser module (src/Templates/assets/static.js): where the Api is, how
/// often to check the manifest, and whether to register the offline Service Worker. Rendered into every page,
/// so a change re-renders the site once (it is part of the settings fingerprint).
/// </summary>
public sealed class ClientSection
{
    /// <summary>
    /// The Api's public base URL (scheme, host, port; no path), asked when the CDN fails or serves bytes that do
    /// not match the manifest. Empty: the module reads the CDN only.
    /// </summary>
    [RegularExpression("^(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)?$", ErrorMessage = "The field {0} must be empty or an absolute http(s) URL with no path, such as https://api.example.com")]
    public string ApiBaseUrl { get; set; } = "";

    /// <summary>Seconds between the module's manifest checks while a page is open (it also checks on focus). 0 turns the timer off.</summary>
    [Range(0, 86400)]
    public int RefreshSeconds { get; set; } = 30;

    /// <summary>Register <c>/sw.js</c> (scope <c>/</c>), which serves verified copies and seen pages when the network is gone.</summary>
    public bool ServiceWorker { get; set; }
}

/// <summary>
/// Cross-origin reads (GET, HEAD and their preflight) of the manifest, shards, immutable objects, stable paths
/// and the Api's read routes — never of <c>/admin</c> — in the Api, the generated VCL and the CloudFront
/// response headers policy alike.
/// </summary>
public sealed class CorsSection
{
    /// <summary>
    /// <c>["*"]</c> (or empty): any origin, answered <c>*</c> (no <c>Vary</c> needed). A list of origins
    /// (<c>https://shop.example</c>): a listed origin is reflected, with <c>Vary: Origin</c>.
    /// </summary>
    [CorsOrigins]
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>How long a browser may keep a preflight's answer (Access-Control-Max-Age).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(2);

    /// <summary>True when any origin may read (<c>*</c>).</summary>
    public bool AnyOrigin() => AllowedOrigins.Count == 0 || AllowedOrigins is ["*"];
}

/// <summary><c>cors.allowedOrigins</c>: <c>*</c> alone, or origins such as <c>https://shop.example</c> (scheme, host, optional port; no path).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class CorsOriginsAttribute : ValidationAttribute
{
    public CorsOriginsAttribute()
        : base("The field {0} must be [\"*\"] or a list of origins such as https://shop.example (scheme, host and port only)")
    {
    }

    public override bool IsValid(object? value) =>
        value is not IReadOnlyList<string> origins || origins is ["*"] || origins.All(IsOrigin);

    private static bool IsOrigin(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && string.Equals(origin.TrimEnd('/'), uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase)
        && !origin.EndsWith('/');
}

public enum CdnKind
{
    /// <summary>No CDN to invalidate (a folder store, or an edge that only relies on TTLs).</summary>
    None,

    /// <summary>The local Varnish edge: purge by surrogate key (xkey) over HTTP from loopback.</summary>
    Varnish,

    /// <summary>Amazon CloudFront: CreateInvalidation, signed with SigV4; credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.</summary>
    CloudFront,
}

public sealed class CloudFrontSection
{
    /// <summary>The distribution to invalidate (required when <c>cdn.kind</c> is <c>cloudfront</c>).</summary>
    public string DistributionId { get; set; } = "";

    /// <summary>
    /// The id of the response headers policy (CORS) that <c>publisher edge-config --cloudfront-cors</c>
    /// generates and <c>aws cloudfront create-response-headers-policy</c> creates (it carries the security headers
    /// and HSTS too); every cache behaviour references it. Empty: the distribution config carries a placeholder to replace.
    /// </summary>
    public string ResponseHeadersPolicyId { get; set; } = "";

    /// <summary>The API endpoint; tests point it at a local server.</summary>
    [Required]
    public Uri Endpoint { get; set; } = new("https://cloudfront.amazonaws.com");

    /// <summary>Paths per CreateInvalidation request (CloudFront allows 3,000 file paths in flight per distribution).</summary>
    [Range(1, 3000)]
    public int MaxPathsPerRequest { get; set; } = 1000;

    /// <summary>More changed paths than this under one folder become one wildcard ("/products/*"), which counts as one path.</summary>
    [Range(1, 1_000_000)]
    public int WildcardThreshold { get; set; } = 500;

    /// <summary>Wildcards per run (CloudFront allows 15 in flight).</summary>
    [Range(0, 15)]
    public int MaxWildcards { get; set; } = 10;

    /// <summary>
    /// A cache tag shared by at least this many changed paths becomes one <c>#tag</c> entry (the distribution's
    /// CacheTagConfig names the <c>x-amz-meta-cache-tag</c> header); 0 turns tag invalidation off.
    /// </summary>
    [Range(0, 1_000_000)]
    public int TagMinPaths { get; set; } = 3;

    /// <summary>...and only when at least this share of the objects carrying the tag changed (a tag drops them all).</summary>
    [Range(0.0, 1.0)]
    public double TagMinShare { get; set; } = 0.5;

    /// <summary>First retry delay on throttling (TooManyInvalidationsInProgress, 429, 503); doubled each try.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    [Range(0, 20)]
    public int MaxRetries { get; set; } = 6;

    /// <summary>Where the Api answers in production (the origin group's fallback), for the generated distribution config.</summary>
    [Required, MinLength(1)]
    public string ApiDomain { get; set; } = "api.example.com";

    /// <summary>Region of the S3 bucket (the origin's domain is {bucket}.s3.{region}.amazonaws.com).</summary>
    [Required, RegularExpression("^[a-z]{2}-[a-z]+-[0-9]$", ErrorMessage = "The field {0} must be an AWS region such as eu-west-1")]
    public string BucketRegion { get; set; } = "us-east-1";
}

/// <summary>The CDN edge: which one the publisher invalidates, and what the generated edge config points at.</summary>
public sealed class CdnSection
{
    /// <summary><c>varnish</c> (locally; STATIC_EDGE_URL says where), <c>cloudfront</c> or <c>none</c>.</summary>
    public CdnKind Kind { get; set; } = CdnKind.Varnish;

    /// <summary>Api instances behind the edge's fallback director (host:port, their public port), probed with GET /stock (400).</summary>
    [Required, MinLength(1)]
    public List<string> ApiOrigins { get; set; } = ["127.0.0.1:56080"];

    /// <summary>How long the edge keeps a 404 (it is purged as soon as the path is published).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan NotFoundTtl { get; set; } = TimeSpan.FromSeconds(5);

    [Required, ValidateObjectMembers]
    public CloudFrontSection CloudFront { get; set; } = new();

    /// <summary>Surrogate keys per PURGE request (each becomes part of one header).</summary>
    [Range(1, 1000)]
    public int KeysPerPurge { get; set; } = 100;

    /// <summary>
    /// Deliveries of one invalidation batch before it is parked (kept, listed, alerted; its outbox rows released).
    /// With the default delays, 8 attempts span 30-60 minutes: longer than CloudFront's slow invalidations take.
    /// </summary>
    [Range(1, 100)]
    public int InvalidationMaxAttempts { get; set; } = 8;

    /// <summary>The wait after a batch's first failed delivery; it doubles with each further failure (with jitter).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan InvalidationRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between two deliveries of one batch.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan InvalidationRetryMaxDelay { get; set; } = TimeSpan.FromMinutes(30);
}

/// <summary>The Api's read-through tiers: L1 in process, L2 Redis, then PostgreSQL through the renderer.</summary>
public sealed class ApiSection
{
    /// <summary>How long an answer stays in each instance's memory (L1).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan L1Duration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an answer stays in Redis (L2).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan L2Duration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a cached answer may still be served, marked stale, while PostgreSQL is down.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan FailSafeMaxDuration { get; set; } = TimeSpan.FromHours(2);

    /// <summary>The longest a request waits on Redis before carrying on without it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long an unknown path is remembered as 404 (so a flood of random paths cannot reach the database).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan NotFoundDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Stock answers live only in L1, this long.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan StockDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Turn a tier off (benchmarks measure each tier alone).</summary>
    public bool L1Enabled { get; set; } = true;

    public bool L2Enabled { get; set; } = true;

    /// <summary>
    /// One database read per cold key however many requests wait (the cache's single flight). Off, every
    /// miss reads the database: only for tests and benchmarks that show what the protection buys.
    /// </summary>
    public bool StampedeProtection { get; set; } = true;

    /// <summary>Highest listing page served; beyond it is a 400 (page 1 is published, 2 and on come from the Api).</summary>
    [Range(1, 1_000_000)]
    public int MaxListingPage { get; set; } = 10_000;

    /// <summary>Largest admin request body; more gets 413.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int AdminMaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Per-token and per-address request limits (429 past them); see <see cref="RateLimitSection"/>.</summary>
    [Required, ValidateObjectMembers]
    public RateLimitSection RateLimits { get; set; } = new();
}

public sealed class ScheduleSection
{
    /// <summary>
    /// Quartz cron (seconds first) for the full publish, the safety net behind incremental publishes.
    /// Checked at start-up of <c>publisher run</c>.
    /// </summary>
    [Required, MinLength(1)]
    public string FullPublishCron { get; set; } = "0 0 * * * ?";
}

/// <summary>How <c>publisher run</c> drains the admin outbox into incremental publishes.</summary>
public sealed class OutboxSection
{
    /// <summary>
    /// Changes arriving within this window of the oldest pending one are published together (a burst
    /// coalesces); the wait is bounded by it, so a lone change waits at most this long.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Besides LISTEN/NOTIFY, the outbox is polled this often: a lost notification delays, never loses.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often each publisher instance checks in to the Quartz cluster; a dead one is taken over after about twice this.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:05:00")]
    public TimeSpan ClusterCheckinInterval { get; set; } = TimeSpan.FromSeconds(2);
}

public sealed class RetentionSection
{
    /// <summary>Versions whose objects garbage collection keeps (the newest ones, plus the live and the pinned one).</summary>
    [Range(1, 10_000)]
    public int KeepVersions { get; set; } = 10;

    /// <summary>
    /// What left the live manifest stays on the store at least this long, whatever <see cref="KeepVersions"/>
    /// says: a client holding an older manifest can count on its immutable objects and shards for this long.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan MinAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Objects younger than this are never collected, so a run in flight keeps what it uploaded.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan GcGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>More deletes than this in one gc run need <c>--force</c> (Hugo's deploy caps deletes at 256 too).</summary>
    [Range(1, 10_000_000)]
    public int MaxDeletesPerRun { get; set; } = 256;
}

public sealed class PublishSection
{
    /// <summary>Objects uploaded at once (S3 PUTs in flight, or folder writes).</summary>
    [Range(1, 256)]
    public int UploadParallelism { get; set; } = 16;

    /// <summary>Artifacts rendered at once; 0 means one per processor core.</summary>
    [Range(0, 64)]
    public int RenderParallelism { get; set; }

    /// <summary>Products per manifest shard: 256 keeps the root near 9 KiB at 100,000 products.</summary>
    [Range(16, 100_000)]
    public int ProductsPerShard { get; set; } = 256;

    /// <summary>Categories per manifest shard.</summary>
    [Range(16, 100_000)]
    public int CategoriesPerShard { get; set; } = 512;

    [Required, ValidateObjectMembers]
    public CacheControlSection CacheControl { get; set; } = new();

    /// <summary>
    /// Live objects a full publish checks with a HEAD after it commits, repairing what is missing or wrong
    /// (<c>publisher verify</c> checks them all); 0 turns the check off.
    /// </summary>
    [Range(0, 1_000_000)]
    public int VerifySample { get; set; } = 200;

    /// <summary>HEAD requests <c>publisher verify</c> (and a full publish's sample check) keep in flight.</summary>
    [Range(1, 256)]
    public int VerifyParallelism { get; set; } = 32;
}

/// <summary>Cache-Control per artifact class. Stable paths are invalidated on change, so the edge may keep them long.</summary>
public sealed class CacheControlSection
{
    [Required, MinLength(1)]
    public string Html { get; set; } = "public, max-age=60, s-maxage=86400";

    [Required, MinLength(1)]
    public string Json { get; set; } = "public, max-age=60, s-maxage=86400";

    /// <summary>Content-addressed copies and manifest shards: never change, never invalidated.</summary>
    [Required, MinLength(1)]
    public string Immutable { get; set; } = "public, max-age=31536000, immutable";

    /// <summary>The manifest root: a short shared TTL keeps readers fresh without any invalidation.</summary>
    [Required, MinLength(1)]
    public string Manifest { get; set; } = "public, max-age=0, s-maxage=2, must-revalidate";

    /// <summary>
    /// Stable copies of assets (<c>/sw.js</c>, <c>/_assets/*</c>): browsers revalidate each time (a Service Worker
    /// must be found fresh), the edge keeps them until a changed asset invalidates them. Pages use the immutable copies.
    /// </summary>
    [Required, MinLength(1)]
    public string Asset { get; set; } = "public, max-age=0, s-maxage=86400, must-revalidate";

    /// <summary>
    /// Listing pages 2 and on (never published, rendered by the Api): no publish purges them (their content moves as
    /// products change anywhere in the category), so the edge keeps them only briefly; this bounds how stale they are.
    /// </summary>
    [Required, MinLength(1)]
    public string ListingPage { get; set; } = "public, max-age=60, s-maxage=60";

    /// <summary>The Cache-Control of a stable path of the given class.</summary>
    public string For(Artifacts.ArtifactClass artifactClass) => artifactClass switch
    {
        Artifacts.ArtifactClass.Html => Html,
        Artifacts.ArtifactClass.Asset => Asset,
        _ => Json,
    };
}

public sealed class SiteSection
{
    /// <summary>Shown in page titles and the homepage header.</summary>
    [Required, StringLength(100, MinimumLength = 1)]
    public string Name { get; set; } = "Static Demo Shop";

    /// <summary>ISO 4217 code the demo catalog prices in.</summary>
    [Required, RegularExpression("^[A-Z]{3}$", ErrorMessage = "The field {0} must be a three-letter ISO 4217 code such as EUR")]
    public string Currency { get; set; } = "EUR";

    /// <summary>
    /// The public origin of the site (the CDN's address, no path): canonical links, OpenGraph URLs, the sitemap and
    /// robots.txt name pages by it. The default is the local edge.
    /// </summary>
    [Required, RegularExpression("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", ErrorMessage = "The field {0} must be an absolute http(s) URL with no path and no trailing slash, such as https://shop.example.com")]
    public string BaseUrl { get; set; } = "http://127.0.0.1:56081";

    /// <summary>How prices are written on pages (a specific culture such as en-IE, de-DE, en-US): digits, separators and where the currency symbol goes.</summary>
    [Required, SpecificCulture]
    public string Locale { get; set; } = "en-IE";

    /// <summary>
    /// URLs per sitemap file (the protocol allows 50,000); the index <c>/sitemap.xml</c> lists the files. A product
    /// edit changes its file's <c>lastmod</c>, so the file is re-uploaded: 1,000 URLs keep that to about 100 KB.
    /// </summary>
    [Range(1, 50_000)]
    public int SitemapUrlsPerFile { get; set; } = 1_000;
}

/// <summary>A culture name .NET knows and that names a region (en-IE, not en): what price formatting needs.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SpecificCultureAttribute : ValidationAttribute
{
    public SpecificCultureAttribute()
        : base("The field {0} must be a specific culture name such as en-IE, de-DE or en-US") { }

    public override bool IsValid(object? value)
    {
        if (value is not string name || name.Length == 0)
        {
            return true;   // [Required] reports a missing value
        }

        try
        {
            return !System.Globalization.CultureInfo.GetCultureInfo(name, predefinedOnly: true).IsNeutralCulture;
        }
        catch (System.Globalization.CultureNotFoundException)
        {
            return false;
        }
    }
}

public sealed class CatalogSection
{
    /// <summary>Items on a category listing page (page 1 is published; later pages come from the Api).</summary>
    [Range(1, 500)]
    public int ListingPageSize { get; set; } = 40;

    /// <summary>How many featured products the homepage shows.</summary>
    [Range(1, 200)]
    public int FeaturedCount { get; set; } = 12;
}

public sealed class SeedSection
{
    /// <summary>Products <c>./run.sh</c> seeds into an empty catalog.</summary>
    [Range(1, 1_000_000)]
    public int Products { get; set; } = 10_000;

    [Range(1, 10_000)]
    public int Categories { get; set; } = 24;

    /// <summary>Random seed: the same seed and counts always give the same rows.</summary>
    public int RandomSeed { get; set; } = 42;
}

public enum StoreKind
{
    S3,
    Folder,
}

public sealed class StoreSection
{
    /// <summary><c>s3</c> (any S3-compatible endpoint; s3rver locally) or <c>folder</c> (no server).</summary>
    public StoreKind Kind { get; set; } = StoreKind.S3;

    /// <summary>Bucket for <c>s3</c>; the environment's STATIC_S3_BUCKET wins when set.</summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", ErrorMessage = "The field {0} must be a valid S3 bucket name")]
    public string Bucket { get; set; } = "static-site";

    /// <summary>Folder for <c>folder</c>, relative to the config file.</summary>
    [Required]
    public string Folder { get; set; } = ".local/site";
}
