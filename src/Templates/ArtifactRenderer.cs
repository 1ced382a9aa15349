using System.Globalization;
using System.Text;
using System.Text.Json;
using RazorLight;
using Static.Shared.Artifacts;
using Static.Shared.Catalog;
using Static.Shared.Images;
using Static.Templates.Json;

namespace Static.Templates;

/// <summary>
/// The one renderer: path + data -> bytes. HTML through RazorLight (templates embedded in this assembly,
/// compiled once by <see cref="CreateAsync"/>; Razor HTML-encodes every value), JSON through
/// source-generated System.Text.Json (which escapes &lt;, &gt;, &amp; and quotes). Deterministic: the same data
/// gives the same bytes; nothing reads the clock.
/// </summary>
public sealed class ArtifactRenderer
{
    private static readonly string[] Templates = ["_Header", "_Client", "_Seo", "_Picture", "Home", "Product", "Category", "NotFound"];
    private readonly RazorLightEngine engine;

    private ArtifactRenderer(RazorLightEngine engine) => this.engine = engine;

    /// <summary>
    /// A fingerprint of the embedded templates: the publisher folds it into its settings fingerprint, so
    /// deploying a changed template makes the next publish render everything (an incremental one would only
    /// re-render the changed entities' pages and leave the rest in the old design).
    /// </summary>
    public static string TemplatesFingerprint { get; } = ComputeTemplatesFingerprint();

    private static string ComputeTemplatesFingerprint()
    {
        var assembly = typeof(ArtifactRenderer).Assembly;
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var name in assembly.GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData(buffer.ToArray());
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>Builds the engine and compiles every template (about a second and a half, once per process).</summary>
    public static async Task<ArtifactRenderer> CreateAsync()
    {
        var engine = new RazorLightEngineBuilder()
            .UseEmbeddedResourcesProject(typeof(ArtifactRenderer).Assembly, "Static.Templates.Views")
            .SetOperatingAssembly(typeof(ArtifactRenderer).Assembly)
            .UseMemoryCachingProvider()
            .Build();
        foreach (var template in Templates)
        {
            await engine.CompileTemplateAsync(template).ConfigureAwait(false);
        }

        return new ArtifactRenderer(engine);
    }

    public async Task<RenderedArtifact> RenderAsync(ArtifactData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var body = data switch
        {
            HomeData { Path.IsHtml: true } home => await HtmlAsync("Home", home).ConfigureAwait(false),
            HomeData home => Json(HomeDocumentOf(home), ArtifactJsonContext.Default.HomeDocument),
            ConfigData config => Json(new ConfigDocument(config.Site.Name, config.Site.Config), ArtifactJsonContext.Default.ConfigDocument),
            ProductData { Path.IsHtml: true } product => await HtmlAsync("Product", product).ConfigureAwait(false),
            ProductData product => Json(ProductDocumentOf(product), ArtifactJsonContext.Default.ProductDocument),
            CategoryData { Path.IsHtml: true } category => await HtmlAsync("Category", category).ConfigureAwait(false),
            CategoryData category => Json(CategoryDocumentOf(category), ArtifactJsonContext.Default.CategoryPageDocument),
            NotFoundData notFound => await HtmlAsync("NotFound", notFound).ConfigureAwait(false),
            AssetData asset => SiteAssets.Get(asset.Path.Slug!).Body,
            RobotsData robots => CrawlerFiles.Robots(robots),
            SitemapIndexData index => CrawlerFiles.Index(index),
            SitemapData sitemap => CrawlerFiles.Sitemap(sitemap),
            _ => throw new ArgumentException($"No template renders {data.GetType().Name} for {data.Path.Path}.", nameof(data)),
        };
        return new RenderedArtifact(data.Path, body, data.Path.ContentType, data.DependencyKeys());
    }

    private async Task<byte[]> HtmlAsync<T>(string template, T model)
    {
        // CompileRenderAsync takes the compiled template from the cache and renders a fresh page instance,
        // so concurrent renders do not share state.
        var html = await engine.CompileRenderAsync(template, model).ConfigureAwait(false);
        return Encoding.UTF8.GetBytes(html);
    }

    private static byte[] Json<T>(T document, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo) =>
        JsonSerializer.SerializeToUtf8Bytes(document, typeInfo);

    private static ProductSummaryDocument Summary(Product p, SiteInfo site) => new(
        p.Id, p.Slug, p.Name, p.Price.Amount, p.Price.Currency, site.Pages.Price(p.Price),
        string.Create(CultureInfo.InvariantCulture, $"/products/{p.Id}.json"), p.Images.Count > 0 ? Image(p.Images[0], site.Client.Images) : null);

    /// <summary>An image as the JSON carries it: what static.js needs to build the same &lt;picture&gt; as the templates.</summary>
    private static ImageDocument Image(ProductImage image, ImagePipeline pipeline)
    {
        var (width, height) = pipeline.DisplaySize(image);
        return new ImageDocument(pipeline.Fallback(image).Url, pipeline.Srcset(image, VariantFormat.Jpeg), pipeline.Srcset(image, VariantFormat.Webp), width, height);
    }

    private static CategoryRefDocument Ref(Category c) => new(c.Id, c.Slug, c.Name, $"/categories/{c.Slug}/1.json");

    private static HomeDocument HomeDocumentOf(HomeData home) =>
        new(home.Site.Name, home.Site.Config.Banner, home.Featured.Select(p => Summary(p, home.Site)).ToList(), home.Categories.Select(Ref).ToList());

    private static ProductDocument ProductDocumentOf(ProductData data)
    {
        var p = data.Product;
        return new ProductDocument(p.Id, p.Slug, p.Name, p.Description, p.Price.Amount, p.Price.Currency, data.Site.Pages.Price(p.Price), Ref(data.Category), p.Images.Select(i => Image(i, data.Site.Client.Images)).ToList(), p.FeaturedRank, p.UpdatedAt, p.RowVersion);
    }

    private static CategoryPageDocument CategoryDocumentOf(CategoryData data) =>
        new(Ref(data.Category), data.Path.Page, data.Products.Select(p => Summary(p, data.Site)).ToList(),
            data.HasMore ? string.Create(CultureInfo.InvariantCulture, $"/categories/{data.Category.Slug}/{data.Path.Page + 1}.json") : null);
}
