namespace Static.IntegrationTests.Infrastructure;

/// <summary>
/// Per test class (IClassFixture): its own database, bucket and Redis key prefix on the shared servers,
/// so classes run in parallel and never touch what ./run.sh seeded.
/// </summary>
public sealed class IsolatedServers : IAsyncLifetime
{
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
