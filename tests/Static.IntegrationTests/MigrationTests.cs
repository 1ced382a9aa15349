using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Static.IntegrationTests.Infrastructure;
using Static.Shared.Catalog;

namespace Static.IntegrationTests;

public sealed class MigrationTests
{
    [Fact]
    public async Task Migrations_apply_to_an_empty_database_and_reapply_as_a_no_op()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        var runner = new MigrationRunner(db.DataSource, NullLogger<MigrationRunner>.Instance);

        var first = await runner.ApplyAsync(CancellationToken.None);
        Assert.Equal(MigrationRunner.Embedded.Select(m => m.Id), first.Applied);
        Assert.Equal(0, first.AlreadyApplied);

        var tables = await QueryStringsAsync(db, "select table_name from information_schema.tables where table_schema = 'public' order by 1");
        Assert.Superset(new HashSet<string> { "categories", "products", "stock_levels", "site_config", "outbox", "publishes", "schema_migrations" }, tables.ToHashSet());

        var schemaBefore = await SchemaFingerprintAsync(db);
        var second = await runner.ApplyAsync(CancellationToken.None);
        Assert.Empty(second.Applied);
        Assert.Equal(MigrationRunner.Embedded.Count, second.AlreadyApplied);
        Assert.Equal(schemaBefore, await SchemaFingerprintAsync(db));
        Assert.Equal(MigrationRunner.Embedded.Count, (await QueryStringsAsync(db, "select id from schema_migrations")).Count);
    }

    [Fact]
    public async Task Concurrent_runners_apply_each_migration_once()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        var runners = Enumerable.Range(0, 4).Select(_ => new MigrationRunner(db.DataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None));
        var results = await Task.WhenAll(runners);
        Assert.Equal(MigrationRunner.Embedded.Count, results.Sum(r => r.Applied.Count));
    }

    [Fact]
    public async Task A_migration_edited_after_it_was_applied_stops_the_runner()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using (var tamper = db.DataSource.CreateCommand("update schema_migrations set checksum = 'edited' where id = '0001_catalog'"))
        {
            await tamper.ExecuteNonQueryAsync();
        }

        var runner = new MigrationRunner(db.DataSource, NullLogger<MigrationRunner>.Instance);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => runner.ApplyAsync(CancellationToken.None));
        Assert.Contains("0001_catalog", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_migration_leaves_nothing_half_applied()
    {
        // The runner wraps each migration in a transaction: prove PostgreSQL rolls DDL back with it.
        await using var db = await TestDatabase.CreateEmptyAsync();
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using var ddl = new NpgsqlCommand("create table half (id int); select 1/0;", connection, tx);
            await Assert.ThrowsAsync<PostgresException>(() => ddl.ExecuteNonQueryAsync());
        }

        Assert.Empty(await QueryStringsAsync(db, "select table_name from information_schema.tables where table_name = 'half'"));
    }

    private static async Task<List<string>> QueryStringsAsync(TestDatabase db, string sql)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var list = new List<string>();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }

    private static async Task<string> SchemaFingerprintAsync(TestDatabase db) => string.Join('\n', await QueryStringsAsync(db,
        """
        select table_name || '.' || column_name || ':' || data_type || ':' || is_nullable
        from information_schema.columns where table_schema = 'public' order by 1
        """));
}
