using Amazon.S3.Model;
using Static.IntegrationTests.Infrastructure;

namespace Static.IntegrationTests;

/// <summary>
/// Two isolated stacks (what every test class gets: its own database, bucket and key prefix) in flight at the same
/// time, each writing the same names; each then reads back only its own values. They meet at a rendezvous so that
/// both have written before either reads. Both run inside one test: two classes waiting for each other depended
/// on the runner starting both within the wait, which it need not do once the suite has more long classes than
/// parallel slots.
/// </summary>
public sealed class IsolationTests
{
    [Fact]
    public async Task Two_isolated_stacks_in_flight_at_once_do_not_see_each_others_rows_objects_or_keys()
    {
        await using var a = await IsolatedServers.CreateAsync();
        await using var b = await IsolatedServers.CreateAsync();
        var aWrote = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bWrote = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Task.WhenAll(
            RunAsync(a, "A", aWrote, bWrote.Task),
            RunAsync(b, "B", bWrote, aWrote.Task));
    }

    private static async Task RunAsync(IsolatedServers stack, string me, TaskCompletionSource wrote, Task otherWrote)
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

        wrote.TrySetResult();
        await otherWrote.WaitAsync(TimeSpan.FromMinutes(1));   // both have written before either reads

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
