using BenchmarkDotNet.Attributes;
using Static.Shared.Artifacts;
using Static.Templates;

namespace Static.Micro;

/// <summary>
/// One artifact of the publisher's render step (<c>ArtifactRenderStep</c>, per path): the data record built from
/// loaded rows, then <see cref="ArtifactRenderer.RenderAsync"/> through the compiled RazorLight templates (HTML)
/// or the source-generated JSON writer. The step's <c>Describe</c> (hashes, Cache-Control, surrogate keys) is
/// private; its content hash is measured on its own (<see cref="HashBenchmarks"/>).
/// </summary>
[MemoryDiagnoser]
public class RenderBenchmarks
{
    private ArtifactRenderer renderer = null!;
    private readonly ArtifactPath htmlPath = ArtifactPath.ProductHtml(DemoShop.ProductId);
    private readonly ArtifactPath jsonPath = ArtifactPath.ProductJson(DemoShop.ProductId);

    [GlobalSetup]
    public async Task SetupAsync() => renderer = await DemoShop.RendererAsync().ConfigureAwait(false);

    [Benchmark(Description = "render product page")]
    public Task<RenderedArtifact> ProductPage() =>
        renderer.RenderAsync(new ProductData(htmlPath, DemoShop.Site, DemoShop.Product, DemoShop.Category));

    [Benchmark(Description = "render product JSON")]
    public Task<RenderedArtifact> ProductJson() =>
        renderer.RenderAsync(new ProductData(jsonPath, DemoShop.Site, DemoShop.Product, DemoShop.Category));
}
