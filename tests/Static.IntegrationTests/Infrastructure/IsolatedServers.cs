namespace Static.IntegrationTests.Infrastructure;

/// <summary>
/// Per test class (IClassFixture): its own database, bucket and Redis key prefix on the shared servers,
/// so classes run in parallel and never touch what ./run.sh seeded.
/// </summary>
public sealed class IsolatedServers : IAsyncLifetime, IAsyncDisposable
{
    /// <summary>For a test that wants servers of its own rather than its class's.</summary>
    public static async Task<IsolatedServers> CreateAsync()
    {
        var servers = new IsolatedServers();
        await servers.InitializeAsync();
        return servers;
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    private TestDatabase? database;
    private TestBucket? bucket;
    private TestRedis? redis;

    public TestDatabase Database => database ?? throw new InvalidOperationException("not initialised");

    public TestBucket Bucket => bucket ?? throw new InvalidOperationException("not initialised");

    public TestRedis Redis => redis ?? throw new InvalidOperationException("not initialised");

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        bucket = await TestBucket.CreateAsync();
        redis = await TestRedis.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }

        if (bucket is not null)
        {
            await bucket.DisposeAsync();
        }

        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }
}
