using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SkiaSharp;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Catalog;
using Static.Shared.Images;
using Static.Shared.Manifests;

namespace Static.IntegrationTests;

/// <summary>
/// The image pipeline end to end on real PostgreSQL and s3rver: an upload through the admin API, the publish that
/// puts its variants in the store before the pages that reference them, a changed image uploading only its own
/// variants, refused uploads changing nothing, and the seed's placeholders being the same bytes every time.
/// </summary>
public sealed class ImageTests
{
    private static readonly ImagePipeline Pipeline = ImagePipeline.Default;

    [Fact]
    public async Task An_upload_publishes_its_variants_before_the_pages_and_a_changed_image_uploads_only_its_own()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 20, categories: 3);
        var recording = (RecordingStore?)null;
        await using var harness = await PublisherHarness.CreateAsync(servers, wrap: s => recording = new RecordingStore(s));

        // The seed's placeholders: variants uploaded with the first publish, and recorded.
        var first = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var seeded = first.ObjectKeysWritten.Where(IsVariant).ToList();
        Assert.NotEmpty(seeded);
        Assert.Equal(seeded.Count, await ScalarAsync<long>(servers, "select count(*) from image_variants"));

        await using var api = new ApiFactory(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], AdminApiTests.Tokens);
        using var client = AdminApiTests.Authorized(api);
        var id = await ScalarAsync<long>(servers, "select min(id) from products where featured_rank is null");
        var before = await ScalarAsync<long>(servers, $"select row_version from products where id = {id}");

        var png = Draw(800, 600, SKColors.OrangeRed, SKEncodedImageFormat.Png);
        var webp = Draw(300, 200, SKColors.SeaGreen, SKEncodedImageFormat.Webp);
        using (var response = await PutImagesAsync(client, id, ("front.png", png), ("side.webp", webp)))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            var body = JsonDocument.Parse(text).RootElement;
            Assert.Equal(ContentHash.Sha256(png), body.GetProperty("images")[0].GetProperty("sha256").GetString());
            Assert.Equal("image/webp", body.GetProperty("images")[1].GetProperty("contentType").GetString());
            Assert.Equal(300, body.GetProperty("images")[1].GetProperty("width").GetInt32());
            Assert.True(body.GetProperty("rowVersion").GetInt64() > before);
        }

        Assert.Equal(1, await ScalarAsync<long>(servers, $"select count(*) from outbox where entity_type = 'product' and entity_id = {id} and change = 'updated'"));

        // The incremental publish: exactly the two new sources' variants, each before any page can be reached.
        recording!.Keys.Clear();
        var second = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var pngImage = new ProductImage(ContentHash.Sha256(png), 800, 600);
        var webpImage = new ProductImage(ContentHash.Sha256(webp), 300, 200);
        var expected = Pipeline.Variants(pngImage).Concat(Pipeline.Variants(webpImage)).Select(v => v.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(8, expected.Count);   // 320, 640, 800 and 300 wide, WebP and JPEG
        Assert.Equal(expected, second.ObjectKeysWritten.Where(IsVariant).Order(StringComparer.Ordinal));
        // Every variant before anything a reader can reach: a stable path, a shard, the root. (A page's immutable copy may
        // come first: it is written while the run renders, named by its bytes, unreachable until the manifest names it.)
        var order = recording.Keys.ToList();
        Assert.True(order.FindLastIndex(IsVariant) < order.FindIndex(k => !k.StartsWith(Static.Shared.Manifests.ObjectKeys.ImmutablePrefix, StringComparison.Ordinal)), string.Join(", ", order));
        Assert.Contains($"products/{id}.html", order);

        foreach (var variant in Pipeline.Variants(pngImage).Concat(Pipeline.Variants(webpImage)))
        {
            var stored = (await harness.S3.GetAsync(variant.Key, CancellationToken.None))!;
            Assert.Equal(variant.ContentType, stored.ContentType);
            Assert.Equal(harness.Config.Publish.CacheControl.Immutable, stored.CacheControl);
            using var decoded = SKBitmap.Decode(stored.Body);
            Assert.Equal((variant.Width, variant.Height), (decoded.Width, decoded.Height));
        }

        var page = Encoding.UTF8.GetString((await harness.S3.GetAsync($"products/{id}.html", CancellationToken.None))!.Body);
        Assert.Contains($"srcset=\"{Pipeline.Srcset(pngImage, VariantFormat.Webp)}\"", page, StringComparison.Ordinal);
        Assert.Contains($"src=\"{Pipeline.Fallback(webpImage).Url}\"", page, StringComparison.Ordinal);
        Assert.Contains("width=\"800\" height=\"600\"", page, StringComparison.Ordinal);
        var json = Encoding.UTF8.GetString((await harness.S3.GetAsync($"products/{id}.json", CancellationToken.None))!.Body);
        Assert.Contains(Pipeline.Fallback(pngImage).Url, json, StringComparison.Ordinal);

        // The Api renders a variant on demand with the same bytes the publisher uploaded.
        var url = Pipeline.Variants(pngImage)[0].Url;
        using (var onDemand = await client.GetAsync(new Uri(url, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, onDemand.StatusCode);
            Assert.Equal("image/webp", onDemand.Content.Headers.ContentType?.MediaType);
            Assert.Equal(harness.Config.Publish.CacheControl.Immutable.Replace(" ", "", StringComparison.Ordinal), onDemand.Headers.CacheControl?.ToString().Replace(" ", "", StringComparison.Ordinal));
            Assert.Equal((await harness.S3.GetAsync(url[1..], CancellationToken.None))!.Body, await onDemand.Content.ReadAsByteArrayAsync());
        }

        using (var unknown = await client.GetAsync(new Uri(url.Replace(pngImage.Sha256, new string('0', 64), StringComparison.Ordinal), UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        // Change the first image only: the new source's variants go up, the unchanged second image's do not.
        var changed = Draw(1000, 1000, SKColors.MediumPurple, SKEncodedImageFormat.Jpeg);
        using (var response = await PutImagesAsync(client, id, ("front.jpg", changed), ("side.webp", webp)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var third = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var changedImage = new ProductImage(ContentHash.Sha256(changed), 1000, 1000);
        Assert.Equal(Pipeline.Variants(changedImage).Select(v => v.Key).Order(StringComparer.Ordinal), third.ObjectKeysWritten.Where(IsVariant).Order(StringComparer.Ordinal));

        // A full publish re-renders every page and encodes no variant: all are recorded.
        var full = await harness.Publisher.PublishAsync(new PublishOptions(Full: true), null, CancellationToken.None);
        Assert.True(full.Full);
        Assert.DoesNotContain(full.ObjectKeysWritten, IsVariant);
    }

    [Fact]
    public async Task Refused_uploads_get_problem_details_naming_what_is_wrong_and_change_nothing()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 3, categories: 1);
        await using var api = new ApiFactory(servers.Database.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12], AdminApiTests.Tokens);
        using var client = AdminApiTests.Authorized(api);
        var id = await ScalarAsync<long>(servers, "select min(id) from products");
        var snapshot = await StateAsync(servers, id);
        var good = Draw(200, 150, SKColors.SteelBlue, SKEncodedImageFormat.Jpeg);

        var png = Draw(100, 100, SKColors.Gold, SKEncodedImageFormat.Png);
        var truncated = png[..(png.Length / 2)];
        var fakePng = png[..16].Concat(Encoding.ASCII.GetBytes(new string('x', 500))).ToArray();
        var text = Encoding.UTF8.GetBytes("<html>not an image</html>");
        var tiny = Draw(32, 32, SKColors.Gold, SKEncodedImageFormat.Png);
        var gif = Encoding.ASCII.GetBytes("GIF89a").Concat(new byte[100]).ToArray();

        await ExpectAsync(await PutImagesAsync(client, id, ("good.jpg", good), ("page.jpg", text)), 400, "files[1]", "page.jpg");
        await ExpectAsync(await PutImagesAsync(client, id, ("half.png", truncated)), 400, "files[0]", "damaged");
        await ExpectAsync(await PutImagesAsync(client, id, ("fake.png", fakePng)), 400, "files[0]", "fake.png");
        await ExpectAsync(await PutImagesAsync(client, id, ("tiny.png", tiny)), 400, "files[0]", "32 × 32");
        await ExpectAsync(await PutImagesAsync(client, id, ("anim.gif", gif)), 400, "files[0]", "not a JPEG, PNG or WebP");
        await ExpectAsync(await PutImagesAsync(client, id, [.. Enumerable.Range(0, 9).Select(i => ($"{i}.jpg", good))]), 400, "files", "at most 8");
        await ExpectAsync(await PutImagesAsync(client, id), 400, "body", "multipart/form-data");   // an empty form: no file part at all
        await ExpectAsync(await PutImagesAsync(client, id, ("big.jpg", good.Concat(new byte[10 * 1024 * 1024]).ToArray())), 413, "files[0]", "images.maxFileBytes");
        using (var json = await client.PutAsync(new Uri($"/admin/products/{id}/images", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json")))
        {
            await ExpectAsync(json, 415, null, "multipart/form-data");
        }

        await ExpectAsync(await PutImagesAsync(client, 999_999, ("good.jpg", good)), 404, null, "product 999999");
        Assert.Equal(snapshot, await StateAsync(servers, id));
    }

    [Fact]
    public async Task The_same_seed_stores_the_same_placeholder_bytes_named_by_their_hash()
    {
        await using var a = await IsolatedServers.CreateAsync();
        await using var b = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(a, products: 40, categories: 5, seed: 9);
        await PublisherHarness.SeedAsync(b, products: 40, categories: 5, seed: 9);

        const string sources = "select string_agg(sha256 || ':' || encode(sha256(bytes), 'hex') || ':' || width || 'x' || height, ',' order by sha256) from image_sources";
        const string links = "select string_agg(product_id || '/' || position || '/' || sha256, ',' order by product_id, position) from product_images";
        var dump = await ScalarAsync<string>(a, sources);
        Assert.Equal(dump, await ScalarAsync<string>(b, sources));
        Assert.Equal(await ScalarAsync<string>(a, links), await ScalarAsync<string>(b, links));
        Assert.All(dump.Split(','), row => Assert.Equal(row.Split(':')[0], row.Split(':')[1]));
        Assert.Equal(5 + Static.Publisher.Seeding.PlaceholderImages.Alternates, dump.Split(',').Length);
        Assert.Equal(0, await ScalarAsync<long>(a, "select count(*) from products where image_urls <> '{}' or id not in (select product_id from product_images)"));
    }

    private static bool IsVariant(string key) => key.StartsWith(ImagePipeline.KeyPrefix, StringComparison.Ordinal);

    private static byte[] Draw(int width, int height, SKColor color, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(color);
            using var paint = new SKPaint { Color = SKColors.White, IsAntialias = true };
            canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) / 3f, paint);
        }

        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    private static async Task<HttpResponseMessage> PutImagesAsync(HttpClient client, long id, params (string Name, byte[] Bytes)[] files)
    {
        using var content = new MultipartFormDataContent();
        foreach (var (name, bytes) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Add(part, "files", name);
        }

        return await client.PutAsync(new Uri($"/admin/products/{id}/images", UriKind.Relative), content);
    }

    private static async Task ExpectAsync(HttpResponseMessage response, int status, string? field, string mention)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(text.Contains(mention, StringComparison.Ordinal), text);
            if (field is not null)
            {
                var problem = JsonDocument.Parse(text).RootElement;
                var named = problem.TryGetProperty("errors", out var errors) ? errors.EnumerateObject().Select(p => p.Name).ToList() : [problem.GetProperty("field").GetString()!];
                Assert.Contains(field, named);
            }
        }
    }

    /// <summary>What an upload may change: the product's row version, its images, the sources and the outbox.</summary>
    private static async Task<string> StateAsync(IsolatedServers servers, long id) =>
        string.Join('|',
            await ScalarAsync<long>(servers, $"select row_version from products where id = {id}"),
            await ScalarAsync<long>(servers, "select count(*) from product_images"),
            await ScalarAsync<long>(servers, "select count(*) from image_sources"),
            await ScalarAsync<long>(servers, "select count(*) from outbox"));

    private static async Task<T> ScalarAsync<T>(IsolatedServers servers, string sql)
    {
        await using var command = servers.Database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The real store, recording the order of PUTs.</summary>
    private sealed class RecordingStore(IObjectStore inner) : IObjectStore
    {
        public ConcurrentQueue<string> Keys { get; } = new();

        public string Description => inner.Description;

        public Task EnsureReadyAsync(CancellationToken cancellationToken) => inner.EnsureReadyAsync(cancellationToken);

        public async Task PutAsync(ObjectToPut item, CancellationToken cancellationToken)
        {
            await inner.PutAsync(item, cancellationToken);
            Keys.Enqueue(item.Key);
        }

        public Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken) => inner.GetAsync(key, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

        public IAsyncEnumerable<ListedObject> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);
    }
}
