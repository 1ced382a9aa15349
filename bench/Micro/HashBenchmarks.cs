using BenchmarkDotNet.Attributes;
using Static.Shared.Artifacts;
using Static.Shared.Manifests;

namespace Static.Micro;

/// <summary>
/// The content hash the render step computes for every artifact's bytes (<see cref="ContentHash.Sha256"/>: SHA-256,
/// lower-case hex), on the bytes of the rendered product page and product JSON.
/// </summary>
[MemoryDiagnoser]
public class HashBenchmarks
{
    private byte[] page = [];
    private byte[] json = [];

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var renderer = await DemoShop.RendererAsync().ConfigureAwait(false);
        page = (await renderer.RenderAsync(new ProductData(ArtifactPath.ProductHtml(DemoShop.ProductId), DemoShop.Site, DemoShop.Product, DemoShop.Category)).ConfigureAwait(false)).Body;
        json = (await renderer.RenderAsync(new ProductData(ArtifactPath.ProductJson(DemoShop.ProductId), DemoShop.Site, DemoShop.Product, DemoShop.Category)).ConfigureAwait(false)).Body;
        Console.WriteLine($"// hashing {page.Length:N0} bytes (product page) and {json.Length:N0} bytes (product JSON)");
    }

    [Benchmark(Description = "hash product page (SHA-256 hex)")]
    public string ProductPage() => ContentHash.Sha256(page);

    [Benchmark(Description = "hash product JSON (SHA-256 hex)")]
    public string ProductJson() => ContentHash.Sha256(json);
}
