using Amazon.S3.Model;
using Static.IntegrationTests.Infrastructure;

namespace Static.IntegrationTests;

/// <summary>
/// Two test classes run at the same time (xunit runs classes in parallel), each writing the same names
/// into its own database, bucket and key prefix; each then reads back only its own values. They meet at
/// a rendezvous so that both have written before either reads.
/// </summary>
internal static class IsolationRendezvous
{
    private static readonly TaskCompletionSource AWrote = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly TaskCompletionSource BWrote = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task RunAsync(IsolatedServers stack, string me)
    {
        await using (var insert = stack.Database.DataSource.CreateCommand("insert into categories (slug, name) values ('isolation-marker', @name)"))
        {
            insert.Parameters.AddWithValue("name", me);
            await insert.ExecuteNonQueryAsync();
        }

        await stack.Bucket.Client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = stack.Bucket.Name,
            Key = "isolation-marker.txt",
            ContentBody = me,
            UseChunkEncoding = false,
        });
        await stack.Redis.Database.StringSetAsync("isolation-marker", me);

        (me == "A" ? AWrote : BWrote).TrySetResult();
        // Both classes are in flight now, or the test proves nothing: wait for the other (bounded).
        await (me == "A" ? BWrote : AWrote).Task.WaitAsync(TimeSpan.FromMinutes(3));

        await using (var read = stack.Database.DataSource.CreateCommand("select name from categories where slug = 'isolation-marker'"))
        {
            Assert.Equal(me, await read.ExecuteScalarAsync());
        }

        using (var get = await stack.Bucket.Client.GetObjectAsync(stack.Bucket.Name, "isolation-marker.txt"))
        using (var reader = new StreamReader(get.ResponseStream))
        {
            Assert.Equal(me, await reader.ReadToEndAsync());
        }

        Assert.Equal(me, (string?)await stack.Redis.Database.StringGetAsync("isolation-marker"));
    }
}

public sealed class IsolationTestsA(IsolatedServers stack) : IClassFixture<IsolatedServers>
{
    [Fact]
    public Task Parallel_classes_do_not_see_each_others_rows_objects_or_keys() => IsolationRendezvous.RunAsync(stack, "A");
}

public sealed class IsolationTestsB(IsolatedServers stack) : IClassFixture<IsolatedServers>
{
    [Fact]
    public Task Parallel_classes_do_not_see_each_others_rows_objects_or_keys() => IsolationRendezvous.RunAsync(stack, "B");
}
