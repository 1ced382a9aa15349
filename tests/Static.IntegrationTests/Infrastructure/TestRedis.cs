using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>The stack's Redis with a key prefix of the test's own; its keys are deleted afterwards.</summary>
public sealed class TestRedis : IAsyncDisposable
{
    private TestRedis(ConnectionMultiplexer connection, string prefix)
    {
        Connection = connection;
        Prefix = prefix;
        Database = connection.GetDatabase().WithKeyPrefix(prefix);
    }

    public ConnectionMultiplexer Connection { get; }

    public string Prefix { get; }

    /// <summary>Every key written through this is under <see cref="Prefix"/>.</summary>
    public IDatabase Database { get; }

    public static async Task<TestRedis> CreateAsync()
    {
        var endpoint = StackServers.Require(StackServers.Settings.Redis, "STATIC_REDIS");
        ConnectionMultiplexer connection;
        try
        {
            connection = await ConnectionMultiplexer.ConnectAsync($"{endpoint},abortConnect=true,connectTimeout=3000");
        }
        catch (RedisConnectionException e)
        {
            throw new InvalidOperationException($"Redis of the local stack does not answer at {endpoint} ({e.Message}). Run ./test.sh, or scripts/stack.sh up first.", e);
        }

        return new TestRedis(connection, $"t:{Guid.NewGuid():N}:");
    }

    public async ValueTask DisposeAsync()
    {
        var server = Connection.GetServers()[0];
        var raw = Connection.GetDatabase();
        await foreach (var key in server.KeysAsync(pattern: Prefix + "*"))
        {
            await raw.KeyDeleteAsync(key);
        }

        await Connection.DisposeAsync();
    }
}
