using Microsoft.Extensions.DependencyInjection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Cli;
using Static.Publisher.Publishing;
using Static.Shared.Artifacts;
using Static.Shared.Manifests;

namespace Static.IntegrationTests;

/// <summary>The publisher against real PostgreSQL and s3rver, each test with its own database and bucket.</summary>
public sealed class PublishTests
{
    [Fact]
    public async Task A_full_publish_then_a_no_change_publish_uploads_nothing()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 120);
        await using var harness = await PublisherHarness.CreateAsync(servers);

        var first = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.True(first.Full);
        Assert.Equal(first.Artifacts, first.Uploaded);
        Assert.Equal(4 + 4 + (120 * 2) + (8 * 2) + Static.Templates.SiteAssets.All.Count, first.Artifacts);   // site pages, crawler files (robots, index, pages-0, products-0), products, categories, assets

        var again = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Equal(0, again.Uploaded);
        Assert.Equal(0, again.ObjectsWritten);
        Assert.Empty(again.ObjectKeysWritten);
        Assert.Equal(first.Version, again.Version);

        var full = await harness.Publisher.PublishAsync(new PublishOptions(Full: true), null, CancellationToken.None);
        Assert.Equal(first.Artifacts, full.Rendered);
        Assert.Equal(0, full.ObjectsWritten);
        Assert.Equal(first.Artifacts, full.Unchanged);
    }

    [Fact]
    public async Task A_publish_reuses_the_live_state_its_process_left_and_reads_the_rows_again_after_another_processs_run()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 80, categories: 4);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        var state = harness.Services.GetRequiredService<PublishStateStore>();
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Equal(1, state.LiveReads);

        await RenameAsync(5, "Warm Teapot");
        var second = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Equal(1, state.LiveReads);   // what the first run committed, not read again
        Assert.Contains("/products/5.json", second.UploadedPaths);

        // What this process holds is what the database holds.
        var warm = await state.LoadLiveAsync(CancellationToken.None);
        var read = await new PublishStateStore(servers.Database.DataSource).LoadLiveAsync(CancellationToken.None);
        Assert.Equal(1, state.LiveReads);
        Assert.Equal(read.Artifacts.OrderBy(a => a.Key, StringComparer.Ordinal), warm.Artifacts.OrderBy(a => a.Key, StringComparer.Ordinal));
        Assert.Equal(Describe(read.Entities), Describe(warm.Entities));
        Assert.Equal((read.Version, read.RootSha256, read.SettingsHash), (warm.Version, warm.RootSha256, warm.SettingsHash));
        Assert.Equal(second.Version, warm.Version);

        // Another process publishes a change: this one must read the rows again, and so uploads nothing more.
        await RenameAsync(6, "Elsewhere Teapot");
        await using (var other = await PublisherHarness.CreateAsync(servers))
        {
            Assert.Contains("/products/6.json", (await other.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None)).UploadedPaths);
        }

        var third = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Equal(2, state.LiveReads);
        Assert.Equal(0, third.Uploaded);
        Assert.Empty(third.ObjectKeysWritten);

        async Task RenameAsync(long id, string name)
        {
            await using var rename = servers.Database.DataSource.CreateCommand("update products set name = @name where id = @id");
            rename.Parameters.AddWithValue("id", id);
            rename.Parameters.AddWithValue("name", name);
            Assert.Equal(1, await rename.ExecuteNonQueryAsync());
        }

        static string[] Describe(IReadOnlyDictionary<string, PublishedEntity> entities) =>
            [.. entities.Values.Select(e => $"{e.Key} {e.RowVersion} {string.Join(',', e.ListingKeys)}").Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task Renaming_one_product_uploads_exactly_its_dependents_their_immutable_copies_the_touched_shards_and_the_root()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 300, categories: 9);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var before = await ReadRootAsync(harness);

        // A featured product that is on page 1 of its category: its rename shows on its two pages, its
        // category's first page (HTML and JSON) and the homepage (HTML and JSON).
        var (id, categoryId, slug) = await FeaturedProductOnFirstPageAsync(servers, harness.Config.Catalog.ListingPageSize);
        await using (var rename = servers.Database.DataSource.CreateCommand("update products set name = 'Renamed Teapot' where id = @id"))
        {
            rename.Parameters.AddWithValue("id", id);
            Assert.Equal(1, await rename.ExecuteNonQueryAsync());
        }

        var result = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);

        string[] stable = [$"products/{id}.html", $"products/{id}.json", $"categories/{slug}/1.html", $"categories/{slug}/1.json", "index.html", "home.json"];
        var expected = new SortedSet<string>(stable, StringComparer.Ordinal) { ObjectKeys.ManifestRoot };
        foreach (var key in stable)
        {
            var body = (await harness.S3.GetAsync(key, CancellationToken.None))!.Body;
            Assert.Contains("Renamed Teapot", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
            expected.Add(ObjectKeys.Immutable(Convert.ToHexStringLower(SHA256.HashData(body)), Path.GetExtension(key)));
        }

        var after = await ReadRootAsync(harness);
        var shardNames = new[] { $"products-{id / harness.Config.Publish.ProductsPerShard}", $"categories-{categoryId / harness.Config.Publish.CategoriesPerShard}", "site" };
        foreach (var shard in shardNames)
        {
            Assert.NotEqual(before.Shards[shard], after.Shards[shard]);
            expected.Add(ObjectKeys.Shard(shard, after.Shards[shard]));
        }

        Assert.Equal(expected, new SortedSet<string>(result.ObjectKeysWritten, StringComparer.Ordinal));
        Assert.Equal(stable.Length, result.Uploaded);
        // Every other shard is untouched.
        Assert.Equal(before.Shards.Where(s => !shardNames.Contains(s.Key)), after.Shards.Where(s => !shardNames.Contains(s.Key)));
        Assert.Equal(result.Run, after.Version);
    }

    [Fact]
    public async Task Stored_bytes_equal_the_rendered_bytes_and_every_immutable_object_hashes_to_its_name()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 60, categories: 4);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);

        var entries = await ReadAllEntriesAsync(harness);
        Assert.Equal(4 + 4 + (60 * 2) + (4 * 2) + Static.Templates.SiteAssets.All.Count, entries.Count);
        foreach (var (path, sha) in entries)
        {
            var stable = await harness.S3.GetAsync(path[1..], CancellationToken.None);
            Assert.NotNull(stable);
            Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(stable.Body)));
            var immutable = await harness.S3.GetAsync(ObjectKeys.Immutable(sha, Path.GetExtension(path)), CancellationToken.None);
            Assert.NotNull(immutable);
            Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(immutable.Body)));
            Assert.Equal("public, max-age=31536000, immutable", immutable.CacheControl);
        }

        // The renderer, called on its own with data read straight from the catalog, gives the stored bytes.
        var reader = new ArtifactDataReader(servers.Database.DataSource);
        var (siteConfig, _) = await reader.GetSiteConfigAsync(CancellationToken.None);
        var site = SiteInfo.From(harness.Config, siteConfig);
        var product = (await reader.GetProductsAsync([7], CancellationToken.None)).Single();
        var categories = await new Static.Shared.Catalog.CatalogStore(servers.Database.DataSource).GetCategoriesAsync(CancellationToken.None);
        foreach (var path in new[] { ArtifactPath.ProductHtml(7), ArtifactPath.ProductJson(7) })
        {
            var rendered = await (await PublisherHarness.RendererAsync()).RenderAsync(new ProductData(path, site, product, categories.Single(c => c.Id == product.CategoryId)));
            var stored = await harness.S3.GetAsync(path.Key, CancellationToken.None);
            Assert.Equal(rendered.Body, stored!.Body);
            Assert.Equal(path.ContentType, stored.ContentType);
            Assert.Contains("product:7", Static.Shared.Artifacts.SurrogateKeys.Parse(stored.Metadata["cache-tag"]));
        }
    }

    [Fact]
    public async Task Hostile_product_text_is_encoded_in_HTML_and_round_trips_in_JSON()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 10, categories: 2);
        const string hostile = "<script>alert(\"pwned\")</script> & 'quoted' \u00e9";
        await using (var update = servers.Database.DataSource.CreateCommand("update products set name = @name, description = @name where id = 3"))
        {
            update.Parameters.AddWithValue("name", hostile);
            await update.ExecuteNonQueryAsync();
        }

        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);

        var html = Encoding.UTF8.GetString((await harness.S3.GetAsync("products/3.html", CancellationToken.None))!.Body);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#x27;quoted&#x27;", html, StringComparison.Ordinal);

        var json = (await harness.S3.GetAsync("products/3.json", CancellationToken.None))!.Body;
        Assert.DoesNotContain("<script>", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json);
        Assert.Equal(hostile, document.RootElement.GetProperty("name").GetString());
        Assert.Equal(hostile, document.RootElement.GetProperty("description").GetString());
    }

    [Fact]
    public async Task A_deleted_product_leaves_the_store_and_the_manifest_and_a_moved_product_updates_both_listings()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 40, categories: 3);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);

        await using (var delete = servers.Database.DataSource.CreateCommand("delete from products where id = 5"))
        {
            await delete.ExecuteNonQueryAsync();
        }

        var deleted = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Equal(["/products/5.html", "/products/5.json"], deleted.DeletedPaths);
        Assert.Null(await harness.S3.GetAsync("products/5.html", CancellationToken.None));
        var entries = await ReadAllEntriesAsync(harness);
        Assert.DoesNotContain("/products/5.html", entries.Keys);
        Assert.Contains("/products/5.json", deleted.Invalidations);

        // Move product 6 to another category: it leaves one listing and enters the other.
        long from, to;
        await using (var read = servers.Database.DataSource.CreateCommand("select category_id, (select min(id) from categories c where c.id <> p.category_id and not exists (select 1 from categories k where k.parent_id = c.id)) from products p where id = 6"))
        await using (var r = await read.ExecuteReaderAsync())
        {
            await r.ReadAsync();
            (from, to) = (r.GetInt64(0), r.GetInt64(1));
        }

        await using (var move = servers.Database.DataSource.CreateCommand("update products set category_id = @to where id = 6"))
        {
            move.Parameters.AddWithValue("to", to);
            await move.ExecuteNonQueryAsync();
        }

        var moved = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var slugs = await SlugsAsync(servers, from, to);
        Assert.Contains($"/categories/{slugs[from]}/1.json", moved.UploadedPaths);
        Assert.Contains($"/categories/{slugs[to]}/1.json", moved.UploadedPaths);
        var toPage = Encoding.UTF8.GetString((await harness.S3.GetAsync($"categories/{slugs[to]}/1.json", CancellationToken.None))!.Body);
        var fromPage = Encoding.UTF8.GetString((await harness.S3.GetAsync($"categories/{slugs[from]}/1.json", CancellationToken.None))!.Body);
        Assert.Contains("\"id\":6,", toPage, StringComparison.Ordinal);
        Assert.DoesNotContain("\"id\":6,", fromPage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_header_change_alone_re_uploads_the_stable_objects_but_not_their_immutable_copies()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 10, categories: 2);
        await using (var harness = await PublisherHarness.CreateAsync(servers))
        {
            await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        }

        await using var changed = await PublisherHarness.CreateAsync(servers, configure: c => c.Publish.CacheControl.Json = "public, max-age=5, s-maxage=600");
        var result = await changed.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);

        var jsonPaths = result.UploadedPaths.Where(p => p.EndsWith(".json", StringComparison.Ordinal)).ToList();
        Assert.Equal(result.UploadedPaths.Count, jsonPaths.Count);
        Assert.Equal(1 + 1 + 10 + 2, jsonPaths.Count);   // home, config, products, categories
        Assert.DoesNotContain(result.ObjectKeysWritten, k => k.StartsWith(ObjectKeys.ImmutablePrefix, StringComparison.Ordinal));
        Assert.Equal("public, max-age=5, s-maxage=600", (await changed.S3.GetAsync("products/1.json", CancellationToken.None))!.CacheControl);
    }

    [Fact]
    public async Task A_second_publish_while_one_holds_the_lock_exits_3_and_changes_nothing()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 10, categories: 2);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        var state = new PublishStateStore(servers.Database.DataSource);
        await using (await state.AcquireLockAsync(CancellationToken.None))
        {
            var error = new StringWriter();
            var code = await PublisherCli.RunAsync(["publish"], TextWriter.Null, error, PublisherHarness.Settings(servers), PublisherHarness.ConfigPath);
            Assert.Equal(PublisherCli.ExitBusy, code);
            Assert.Contains("holds the publisher lock", error.ToString(), StringComparison.Ordinal);
            Assert.Null(await harness.S3.GetAsync(ObjectKeys.ManifestRoot, CancellationToken.None));
        }

        Assert.Equal(0, await PublisherCli.RunAsync(["publish"], TextWriter.Null, TextWriter.Null, PublisherHarness.Settings(servers), PublisherHarness.ConfigPath));
    }

    [Fact]
    public async Task A_missing_bucket_is_a_clear_error_and_the_live_version_is_untouched()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 10, categories: 2);
        var error = new StringWriter();
        var settings = PublisherHarness.Settings(servers) with { S3Bucket = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8] };
        Assert.Equal(PublisherCli.ExitFailed, await PublisherCli.RunAsync(["publish"], TextWriter.Null, error, settings, PublisherHarness.ConfigPath));
        Assert.Contains("bucket does not exist", error.ToString(), StringComparison.Ordinal);
        await using var count = servers.Database.DataSource.CreateCommand("select count(*) from publishes where state = 'succeeded'");
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Dry_run_prints_the_plan_and_writes_nothing()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 10, categories: 2);
        var output = new StringWriter();
        Assert.Equal(0, await PublisherCli.RunAsync(["publish", "--dry-run"], output, TextWriter.Null, PublisherHarness.Settings(servers), PublisherHarness.ConfigPath));
        Assert.Contains("upload     /products/1.html", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("nothing was written", output.ToString(), StringComparison.Ordinal);

        await using var harness = await PublisherHarness.CreateAsync(servers);
        Assert.Null(await harness.S3.GetAsync("products/1.html", CancellationToken.None));
        await using var runs = servers.Database.DataSource.CreateCommand("select count(*) from publishes");
        Assert.Equal(0L, await runs.ExecuteScalarAsync());

        var json = new StringWriter();
        Assert.Equal(0, await PublisherCli.RunAsync(["publish", "--json"], json, TextWriter.Null, PublisherHarness.Settings(servers), PublisherHarness.ConfigPath));
        using var summary = JsonDocument.Parse(json.ToString());
        foreach (var field in new[] { "version", "artifacts", "uploaded", "unchanged", "deleted", "invalidated", "seconds" })
        {
            Assert.True(summary.RootElement.TryGetProperty(field, out _), field);
        }

        Assert.Equal(4 + 4 + 20 + 4 + Static.Templates.SiteAssets.All.Count, summary.RootElement.GetProperty("uploaded").GetInt32());
    }

    internal static async Task<ManifestRoot> ReadRootAsync(PublisherHarness harness) =>
        ManifestSharding.DeserializeRoot((await harness.S3.GetAsync(ObjectKeys.ManifestRoot, CancellationToken.None))!.Body);

    internal static async Task<Dictionary<string, string>> ReadAllEntriesAsync(PublisherHarness harness)
    {
        var root = await ReadRootAsync(harness);
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, hash) in root.Shards)
        {
            var shard = ManifestSharding.DeserializeShard((await harness.S3.GetAsync(ObjectKeys.Shard(name, hash), CancellationToken.None))!.Body);
            foreach (var (path, sha) in shard.Entries)
            {
                entries.Add(path, sha);
            }
        }

        return entries;
    }

    private static async Task<(long Id, long CategoryId, string Slug)> FeaturedProductOnFirstPageAsync(IsolatedServers servers, int pageSize)
    {
        await using var command = servers.Database.DataSource.CreateCommand(
            """
            select p.id, p.category_id, c.slug from (
                select id, category_id, featured_rank, row_number() over (partition by category_id order by id) as rn from products
            ) p join categories c on c.id = p.category_id
            where p.featured_rank is not null and p.rn <= @page
            order by p.featured_rank limit 1
            """);
        command.Parameters.AddWithValue("page", pageSize);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the seed should have a featured product on page 1 of its category");
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2));
    }

    private static async Task<Dictionary<long, string>> SlugsAsync(IsolatedServers servers, params long[] ids)
    {
        await using var command = servers.Database.DataSource.CreateCommand("select id, slug from categories where id = any(@ids)");
        command.Parameters.AddWithValue("ids", ids);
        await using var reader = await command.ExecuteReaderAsync();
        var map = new Dictionary<long, string>();
        while (await reader.ReadAsync())
        {
            map[reader.GetInt64(0)] = reader.GetString(1);
        }

        return map;
    }
}
