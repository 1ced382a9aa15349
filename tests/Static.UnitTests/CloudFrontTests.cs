using System.Xml.Linq;
using Static.Publisher.Edge;
using Static.Shared.Configuration;

namespace Static.UnitTests;

public sealed class CloudFrontTests
{
    private const string AccessKey = "AKIDEXAMPLE";
    private const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly DateTime SignedAt = new(2015, 8, 30, 12, 36, 0, DateTimeKind.Utc);

    [Theory]
    // The AWS SigV4 test suite's "get-vanilla" and "post-vanilla" (also reproduced by npm aws4 1.13.2 here).
    [InlineData("GET", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")]
    [InlineData("POST", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")]
    public void SigV4_reproduces_the_AWS_test_suite_vectors(string method, string signature)
    {
        var headers = SigV4.Sign(method, new Uri("https://example.amazonaws.com/"), new Dictionary<string, string>(), [],
            AccessKey, SecretKey, "us-east-1", "service", SignedAt, includeContentHash: false);
        Assert.Equal(
            $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}",
            headers["Authorization"]);
        Assert.Equal("20150830T123600Z", headers["x-amz-date"]);
    }

    [Fact]
    public void A_400_path_change_is_one_batch_of_exact_paths()
    {
        var paths = Enumerable.Range(1, 200).SelectMany(i => new[] { $"/products/{i}.html", $"/products/{i}.json" }).ToList();
        var batches = InvalidationPlanner.Plan(paths, new CloudFrontSection());
        Assert.Single(batches);
        Assert.Equal(400, batches[0].Count);
        Assert.DoesNotContain(batches[0], p => p.Contains('*', StringComparison.Ordinal));
    }

    [Fact]
    public void Past_the_threshold_a_folder_becomes_one_wildcard_and_batches_respect_the_request_limit()
    {
        var limits = new CloudFrontSection { WildcardThreshold = 500, MaxPathsPerRequest = 100 };
        var paths = Enumerable.Range(1, 2000).Select(i => $"/products/{i}.json")
            .Concat(Enumerable.Range(1, 150).Select(i => $"/categories/c{i}/1.json"))
            .Append("/index.html").ToList();
        var batches = InvalidationPlanner.Plan(paths, limits);
        var all = batches.SelectMany(b => b).ToList();
        Assert.Contains("/products/*", all);
        Assert.DoesNotContain(all, p => p.StartsWith("/products/", StringComparison.Ordinal) && p != "/products/*");
        Assert.Equal(150 + 1 + 1, all.Count);   // the categories stay exact (each folder has one path)
        Assert.All(batches, b => Assert.True(b.Count <= 100));
        Assert.Equal(1, all.Count(p => p.EndsWith('*')));
    }

    [Fact]
    public void Wildcards_never_exceed_the_configured_cap()
    {
        var limits = new CloudFrontSection { WildcardThreshold = 2, MaxWildcards = 3, MaxPathsPerRequest = 3000 };
        var paths = Enumerable.Range(1, 10).SelectMany(f => Enumerable.Range(1, 5).Select(i => $"/f{f}/{i}.json")).ToList();
        var all = InvalidationPlanner.Plan(paths, limits).SelectMany(b => b).ToList();
        Assert.Equal(3, all.Count(p => p.EndsWith('*')));
        Assert.Equal(3 + (7 * 5), all.Count);
    }

    [Fact]
    public void A_tag_shared_by_every_changed_page_replaces_their_paths()
    {
        // A site-config change: 300 pages carry "config", and all of them changed.
        var tagsByPath = Enumerable.Range(1, 150).SelectMany(i => new[] { $"/products/{i}.html", $"/products/{i}.json" })
            .ToDictionary(p => p, p => (IReadOnlyList<string>)["path:" + p, $"product:{p.Split('/')[2].Split('.')[0]}", "config"]);
        var choice = CacheTagPlanner.Choose(tagsByPath, new Dictionary<string, int> { ["config"] = 300 }, minPaths: 3, minShare: 0.5);
        Assert.Equal(["config"], choice.Tags);
        Assert.Equal(300, choice.Covered.Count);

        var request = new InvalidationRequest([.. tagsByPath.Keys, "/new.json"], choice.Tags, choice.Covered);
        var entries = InvalidationPlanner.Plan(request, new CloudFrontSection()).SelectMany(b => b).ToList();
        Assert.Equal(["#config", "/new.json"], entries);   // a new path had no cached object to tag: exact
    }

    [Fact]
    public void A_tag_whose_objects_mostly_did_not_change_is_not_used()
    {
        var tagsByPath = Enumerable.Range(1, 10).ToDictionary(i => $"/products/{i}.json", _ => (IReadOnlyList<string>)["config"]);
        var narrow = CacheTagPlanner.Choose(tagsByPath, new Dictionary<string, int> { ["config"] = 1000 }, minPaths: 3, minShare: 0.5);
        Assert.Empty(narrow.Tags);
        var wide = CacheTagPlanner.Choose(tagsByPath, new Dictionary<string, int> { ["config"] = 20 }, minPaths: 3, minShare: 0.5);
        Assert.Equal(["config"], wide.Tags);
        var off = CacheTagPlanner.Choose(tagsByPath, new Dictionary<string, int> { ["config"] = 10 }, minPaths: 0, minShare: 0.5);
        Assert.Empty(off.Tags);
    }

    [Fact]
    public void Tags_below_the_minimum_stay_exact_paths_and_greedy_choice_takes_the_widest_tag_first()
    {
        // product:1 covers its two pages (below 3); category:4:list covers 4 listing pages; featured covers those
        // 4 plus the home page, so it wins and category:4:list adds nothing new.
        var tagsByPath = new Dictionary<string, IReadOnlyList<string>>
        {
            ["/products/1.html"] = ["product:1"],
            ["/products/1.json"] = ["product:1"],
            ["/categories/a/1.html"] = ["category:4:list", "featured"],
            ["/categories/a/1.json"] = ["category:4:list", "featured"],
            ["/categories/b/1.html"] = ["category:4:list", "featured"],
            ["/categories/b/1.json"] = ["category:4:list", "featured"],
            ["/index.html"] = ["featured"],
        };
        var membership = new Dictionary<string, int> { ["product:1"] = 2, ["category:4:list"] = 4, ["featured"] = 5 };
        var choice = CacheTagPlanner.Choose(tagsByPath, membership, minPaths: 3, minShare: 1.0);
        Assert.Equal(["featured"], choice.Tags);
        var entries = InvalidationPlanner.Plan(new InvalidationRequest([.. tagsByPath.Keys], choice.Tags, choice.Covered), new CloudFrontSection())
            .SelectMany(b => b).ToList();
        Assert.Equal(["#featured", "/products/1.html", "/products/1.json"], entries);
    }

    [Fact]
    public void Cache_tags_fit_CloudFront_and_S3_limits()
    {
        var listing = Static.Shared.Artifacts.ArtifactPath.TryParse("/categories/shoes/1.json")!;
        string[] broad = ["config", "categories", "category:4", "category:4:list"];
        var keys = broad.Concat(Enumerable.Range(1, 60).Select(i => $"product:{i}")).ToArray();
        var tags = Static.Shared.Artifacts.SurrogateKeys.For(listing, keys);
        Assert.True(tags.Count <= Static.Shared.Artifacts.SurrogateKeys.MaxTags, $"{tags.Count} tags");
        Assert.Equal("path:/categories/shoes/1.json", tags[0]);
        Assert.Contains("category:4:list", tags);   // the listing's query key survives; product keys go first
        Assert.DoesNotContain(tags, t => t.StartsWith("product:", StringComparison.Ordinal));
        var header = Static.Shared.Artifacts.SurrogateKeys.Format(tags);
        Assert.True(header.Length <= 1800);
        Assert.All(tags, t => Assert.True(t.Length <= 256 && t.All(c => c is > ' ' and <= '~' and not ','), t));
        Assert.Equal(tags, Static.Shared.Artifacts.SurrogateKeys.Parse(header));
        Assert.Equal(["a", "b"], Static.Shared.Artifacts.SurrogateKeys.Parse("a b"));   // objects published before tags

        // A homepage with more categories than fit: category keys go, the query keys stay.
        var home = Static.Shared.Artifacts.ArtifactPath.TryParse("/index.html")!;
        var homeKeys = Enumerable.Range(1, 60).Select(i => $"category:{i}").Concat(broad).Append("featured").ToArray();
        var homeTags = Static.Shared.Artifacts.SurrogateKeys.For(home, homeKeys);
        Assert.Equal(Static.Shared.Artifacts.SurrogateKeys.MaxTags, homeTags.Count);
        Assert.Superset(new HashSet<string> { "path:/index.html", "config", "categories", "featured", "category:4:list" }, homeTags.ToHashSet());

        var few = Static.Shared.Artifacts.SurrogateKeys.For(listing, ["config", "product:1"]);
        Assert.Equal(["path:/categories/shoes/1.json", "config", "product:1"], few);
    }

    [Fact]
    public void The_caller_reference_is_stable_for_a_retry_and_differs_between_batches()
    {
        string[] paths = ["/a.json", "/b.json"];
        Assert.Equal(CloudFrontInvalidator.CallerReference(12, 0, paths), CloudFrontInvalidator.CallerReference(12, 0, [.. paths]));
        Assert.NotEqual(CloudFrontInvalidator.CallerReference(12, 0, paths), CloudFrontInvalidator.CallerReference(12, 1, paths));
        Assert.NotEqual(CloudFrontInvalidator.CallerReference(12, 0, paths), CloudFrontInvalidator.CallerReference(13, 0, paths));
        Assert.StartsWith("static-v12-b0-", CloudFrontInvalidator.CallerReference(12, 0, paths), StringComparison.Ordinal);
    }

    [Fact]
    public void The_batch_XML_has_the_shape_CloudFront_expects()
    {
        var xml = XDocument.Parse(CloudFrontInvalidator.BatchXml(["/a b.json", "/c&d.html"], "ref-1"));
        XNamespace ns = "http://cloudfront.amazonaws.com/doc/2020-05-31/";
        var batch = xml.Root!;
        Assert.Equal(ns + "InvalidationBatch", batch.Name);
        Assert.Equal("2", batch.Element(ns + "Paths")!.Element(ns + "Quantity")!.Value);
        Assert.Equal(["/a b.json", "/c&d.html"], batch.Element(ns + "Paths")!.Element(ns + "Items")!.Elements(ns + "Path").Select(e => e.Value));
        Assert.Equal("ref-1", batch.Element(ns + "CallerReference")!.Value);
    }
}
