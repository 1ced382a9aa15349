using Static.Shared.Artifacts;

namespace Static.UnitTests;

public sealed class ArtifactPathTests
{
    [Theory]
    [InlineData("/", ArtifactKind.HomeHtml)]
    [InlineData("/index.html", ArtifactKind.HomeHtml)]
    [InlineData("/home.json", ArtifactKind.HomeJson)]
    [InlineData("/config.json", ArtifactKind.ConfigJson)]
    [InlineData("/404.html", ArtifactKind.NotFoundHtml)]
    [InlineData("/products/12.html", ArtifactKind.ProductHtml)]
    [InlineData("/products/12.json", ArtifactKind.ProductJson)]
    [InlineData("/categories/red-shoes/1.html", ArtifactKind.CategoryHtml)]
    [InlineData("/categories/red-shoes/1.json", ArtifactKind.CategoryJson)]
    public void Stable_paths_parse(string path, ArtifactKind kind) => Assert.Equal(kind, ArtifactPath.TryParse(path)?.Kind);

    [Theory]
    [InlineData("/products/0.json")]
    [InlineData("/products/012.json")]
    [InlineData("/products/abc.json")]
    [InlineData("/products/-1.json")]
    [InlineData("/products/12.xml")]
    [InlineData("/products/12.json/")]
    [InlineData("/products/..%2f..%2fetc%2fpasswd")]
    [InlineData("/categories/Red/1.json")]
    [InlineData("/categories/red-shoes/2.json")]
    [InlineData("/categories/../1.json")]
    [InlineData("/index.htm")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_else_is_not_an_artifact(string? path) => Assert.Null(ArtifactPath.TryParse(path));

    [Fact]
    public void Keys_and_classes_follow_the_path()
    {
        var p = ArtifactPath.ProductHtml(7);
        Assert.Equal("products/7.html", p.Key);
        Assert.Equal(ArtifactClass.Html, p.Class);
        Assert.Equal("text/html; charset=utf-8", p.ContentType);
        Assert.Equal("application/json; charset=utf-8", ArtifactPath.ProductJson(7).ContentType);
        Assert.Equal(7, ArtifactPath.TryParse("/products/7.json")!.Id);
        Assert.Equal("red-shoes", ArtifactPath.TryParse("/categories/red-shoes/1.json")!.Slug);
    }
}
