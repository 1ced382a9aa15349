namespace Static.Templates;

/// <summary>
/// The renderer, built on first use: compiling the templates takes about a second and a half, which a
/// publish with nothing to render never needs to pay.
/// </summary>
public sealed class RendererSource
{
    private readonly Lazy<Task<ArtifactRenderer>> renderer;

    // Task.Run: compiling is CPU work that would otherwise run synchronously on the caller until its first await.
    public RendererSource(Func<Task<ArtifactRenderer>> factory) => renderer = new Lazy<Task<ArtifactRenderer>>(() => Task.Run(factory));

    public RendererSource(ArtifactRenderer ready) => renderer = new Lazy<Task<ArtifactRenderer>>(Task.FromResult(ready));

    public Task<ArtifactRenderer> GetAsync() => renderer.Value;
}
