using System.Net;
using System.Security.Cryptography;
using Amazon.S3.Model;
using Static.IntegrationTests.Infrastructure;

namespace Static.IntegrationTests;

/// <summary>Each real server of the stack, reached by the real client the product uses.</summary>
public sealed class RealServerTests(IsolatedServers stack) : IClassFixture<IsolatedServers>
{
    [Fact]
    public async Task Npgsql_queries_PostgreSQL()
    {
        await using var command = stack.Database.DataSource.CreateCommand("select current_database(), current_setting('server_version_num')::int");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(stack.Database.Name, reader.GetString(0));
        Assert.True(reader.GetInt32(1) >= 150000, "PostgreSQL 15 or newer");
    }

    [Fact]
    public async Task StackExchange_Redis_round_trips_a_value_with_expiry()
    {
        var payload = RandomNumberGenerator.GetBytes(4096);
        Assert.True(await stack.Redis.Database.StringSetAsync("round-trip", payload, TimeSpan.FromMinutes(1)));
        var read = (byte[]?)await stack.Redis.Database.StringGetAsync("round-trip");
        Assert.Equal(payload, read);
        var ttl = await stack.Redis.Database.KeyTimeToLiveAsync("round-trip");
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1));
        // The prefix is real: the raw key carries it.
        Assert.True(await stack.Redis.Connection.GetDatabase().KeyExistsAsync(stack.Redis.Prefix + "round-trip"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(800)]
    [InlineData(300_000)] // past the SDK's chunking threshold: where the aws-chunked corruption showed up
    public async Task AWSSDK_S3_put_get_head_list_delete_against_s3rver_keeps_the_bytes(int size)
    {
        var client = stack.Bucket.Client;
        var bucket = stack.Bucket.Name;
        var key = $"objects/{size}/blob.bin";
        var bytes = RandomNumberGenerator.GetBytes(size);

        var put = new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = new MemoryStream(bytes),
            ContentType = "application/octet-stream",
            UseChunkEncoding = false,
        };
        put.Headers.CacheControl = "public, max-age=60";
        put.Metadata.Add("cache-tag", "product:1,featured");
        await client.PutObjectAsync(put);

        using (var get = await client.GetObjectAsync(bucket, key))
        using (var copy = new MemoryStream())
        {
            await get.ResponseStream.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());
            Assert.Equal("public, max-age=60", get.Headers.CacheControl);
            Assert.Equal("product:1,featured", get.Metadata["cache-tag"]);
        }

        var head = await client.GetObjectMetadataAsync(bucket, key);
        Assert.Equal(size, head.ContentLength);
        Assert.Equal("application/octet-stream", head.Headers.ContentType);
#pragma warning disable CA5351 // MD5 is what S3 puts in an ETag; compared here, not used for security.
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(bytes))}\"", head.ETag);
#pragma warning restore CA5351

        var list = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = $"objects/{size}/" });
        Assert.Equal([key], (list.S3Objects ?? []).Select(o => o.Key));

        await client.DeleteObjectAsync(bucket, key);
        var after = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = $"objects/{size}/" });
        Assert.Empty(after.S3Objects ?? []);
    }

    [Fact]
    public async Task An_HTTP_GET_through_Varnish_serves_the_object_from_s3rver_then_from_cache()
    {
        var body = "{\"id\":1,\"name\":\"Granite Shoes\"}"u8.ToArray();
        var put = new PutObjectRequest
        {
            BucketName = stack.Bucket.Name,
            Key = "products/1.json",
            InputStream = new MemoryStream(body),
            ContentType = "application/json",
            UseChunkEncoding = false,
        };
        put.Metadata.Add("cache-tag", "path:/products/1.json,product:1");
        await stack.Bucket.Client.PutObjectAsync(put);

        await using var varnish = await TestVarnish.StartAsync(stack.Bucket.Name, apiPort: TestVarnish.FreePort());

        using var first = await varnish.Client.GetAsync("/products/1.json");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(body, await first.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/json", first.Content.Headers.ContentType?.MediaType);
        Assert.Equal("MISS", first.Headers.GetValues("x-cache").Single());

        // A cache-busting query string is stripped: same object, served from the edge.
        using var second = await varnish.Client.GetAsync("/products/1.json?bust=12345");
        Assert.Equal(body, await second.Content.ReadAsByteArrayAsync());
        Assert.Equal("HIT", second.Headers.GetValues("x-cache").Single());

        // A surrogate-key purge from loopback drops it.
        using var purge = new HttpRequestMessage(new HttpMethod("PURGE"), "/products/1.json");
        purge.Headers.Add("xkey-purge", "product:1");
        using var purged = await varnish.Client.SendAsync(purge);
        Assert.Equal(HttpStatusCode.OK, purged.StatusCode);
        using var third = await varnish.Client.GetAsync("/products/1.json");
        Assert.Equal("MISS", third.Headers.GetValues("x-cache").Single());

        // Not in the bucket and no Api listening: the fallback fails cleanly, not with a hang.
        using var missing = await varnish.Client.GetAsync("/products/999.json");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, missing.StatusCode);
    }
}
