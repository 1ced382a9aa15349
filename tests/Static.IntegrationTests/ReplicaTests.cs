using System.Net;
using System.Text.Json;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Cli;

namespace Static.IntegrationTests;

/// <summary>The Api reading through a real streaming replica (pg_basebackup -R) of a PostgreSQL of the test's own.</summary>
public sealed class ReplicaTests
{
    [Fact]
    public async Task Replica_lag_cannot_leave_the_old_value_cached_after_an_admin_write()
    {
        await using var primary = await ThrowawayPostgres.StartAsync();
        var settings = StackServers.Settings with { Database = primary.SetupConnectionString };
        foreach (var args in new[] { new[] { "migrate" }, ["seed", "--products", "5", "--categories", "2"] })
        {
            var error = new StringWriter();
            Assert.True(await PublisherCli.RunAsync(args, TextWriter.Null, error, settings, PublisherHarness.ConfigPath) == 0, error.ToString());
        }

        await using var replica = await primary.StartReplicaAsync();
        await using var api = new ApiFactory(primary.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..12],
            new Dictionary<string, string?>(AdminApiTests.Tokens) { ["Static:ReadDatabase"] = replica.ConnectionString });
        using var client = AdminApiTests.Authorized(api);
        var id = await ScalarAsync<long>(primary.ConnectionString, "select min(id) from products");
        await WaitForReplayAsync(replica, primary);
        var before = await client.GetStringAsync($"/products/{id}.json");   // from the replica, now cached

        // The replica stops replaying: everything written from now on lags behind.
        await ScalarAsync<object>(replica.ConnectionString, "select pg_wal_replay_pause()");
        using var current = await client.GetAsync($"/admin/products/{id}");
        var product = JsonDocument.Parse(await current.Content.ReadAsStringAsync()).RootElement;
        using var update = await AdminApiTests.SendAsync(client, HttpMethod.Put, $"/admin/products/{id}", new
        {
            name = "Written While The Replica Lags",
            priceAmount = product.GetProperty("priceAmount").GetDecimal(),
            currency = product.GetProperty("currency").GetString(),
            categoryId = product.GetProperty("categoryId").GetInt64(),
        });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        Assert.DoesNotContain("Written While The Replica Lags", await ScalarAsync<string>(replica.ConnectionString, $"select name from products where id = {id}"), StringComparison.Ordinal);

        // The eviction made the next read a miss; the fence sent it to the primary, and what got cached is new.
        for (var i = 0; i < 3; i++)
        {
            Assert.Contains("Written While The Replica Lags", await client.GetStringAsync($"/products/{id}.json"), StringComparison.Ordinal);
        }

        Assert.NotEqual(before, await client.GetStringAsync($"/products/{id}.json"));
        await ScalarAsync<object>(replica.ConnectionString, "select pg_wal_replay_resume()");
        await WaitForReplayAsync(replica, primary);
        Assert.Contains("Written While The Replica Lags", await client.GetStringAsync($"/products/{id}.json"), StringComparison.Ordinal);
    }

    private static async Task WaitForReplayAsync(ThrowawayPostgres replica, ThrowawayPostgres primary)
    {
        var target = await ScalarAsync<string>(primary.ConnectionString, "select pg_current_wal_lsn()::text");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await ScalarAsync<bool>(replica.ConnectionString, $"select pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the replica did not catch up in 30 s");
            await Task.Delay(50);
        }
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var source = Npgsql.NpgsqlDataSource.Create(connectionString);
        await using var command = source.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
