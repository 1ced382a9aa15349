using System.Collections;
using Static.Shared.Configuration;

namespace Static.UnitTests;

public sealed class PublishConfigLoaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("static-config-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void The_repository_config_is_valid()
    {
        var path = Path.Combine(FindRoot(), "publish-config.json");
        var config = PublishConfigLoader.Load(path, new Hashtable());
        Assert.Equal(40, config.Catalog.ListingPageSize);
        Assert.Equal(10_000, config.Seed.Products);
        Assert.Equal(StoreKind.S3, config.Store.Kind);
    }

    [Fact]
    public void An_unknown_field_is_named()
    {
        var e = Assert.Throws<ConfigException>(() => Load("""{ "catalog": { "listingPageSize": 40, "pageSizee": 3 } }"""));
        Assert.Contains("'catalog.pageSizee'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_section_is_named()
    {
        var e = Assert.Throws<ConfigException>(() => Load("""{ "catalgo": { } }"""));
        Assert.Contains("'catalgo'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_value_is_named()
    {
        var e = Assert.Throws<ConfigException>(() => Load("""{ "catalog": { "listingPageSize": "forty" } }"""));
        Assert.Contains("'catalog.listingPageSize'", e.Message, StringComparison.Ordinal);
        Assert.Contains("forty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_range_value_is_named()
    {
        var e = Assert.Throws<ConfigException>(() => Load("""{ "catalog": { "listingPageSize": 0 } }"""));
        Assert.Contains("catalog.listingPageSize", e.Message, StringComparison.Ordinal);
        Assert.Contains("between 1 and 500", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_enum_and_pattern_are_named()
    {
        var kind = Assert.Throws<ConfigException>(() => Load("""{ "store": { "kind": "ftp" } }"""));
        Assert.Contains("'store.kind'", kind.Message, StringComparison.Ordinal);

        var currency = Assert.Throws<ConfigException>(() => Load("""{ "site": { "currency": "euro" } }"""));
        Assert.Contains("site.currency", currency.Message, StringComparison.Ordinal);
        Assert.Contains("ISO 4217", currency.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_json_says_so_with_the_file()
    {
        var e = Assert.Throws<ConfigException>(() => Load("""{ "catalog": { "listingPageSize": 40 """));
        Assert.Contains("not valid JSON", e.Message, StringComparison.Ordinal);
        Assert.Contains("publish-config.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_says_so() =>
        Assert.Contains("file not found", Assert.Throws<ConfigException>(() => PublishConfigLoader.Load(Path.Combine(dir, "nope.json"), new Hashtable())).Message, StringComparison.Ordinal);

    [Fact]
    public void Defaults_fill_what_the_file_leaves_out()
    {
        var config = Load("{}");
        Assert.Equal(40, config.Catalog.ListingPageSize);
        Assert.Equal("static-site", config.Store.Bucket);
    }

    [Fact]
    public void Environment_overrides_win_and_are_validated_too()
    {
        var ok = Load("""{ "seed": { "products": 10 } }""", new Hashtable { ["STATIC_CONFIG__seed__products"] = "25" });
        Assert.Equal(25, ok.Seed.Products);

        var e = Assert.Throws<ConfigException>(() => Load("{}", new Hashtable { ["STATIC_CONFIG__seed__products"] = "-1" }));
        Assert.Contains("seed.products", e.Message, StringComparison.Ordinal);
    }

    private PublishConfig Load(string json, Hashtable? environment = null)
    {
        var path = Path.Combine(dir, "publish-config.json");
        File.WriteAllText(path, json);
        return PublishConfigLoader.Load(path, environment ?? new Hashtable());
    }

    internal static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Static.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("Static.sln not found");
    }
}
