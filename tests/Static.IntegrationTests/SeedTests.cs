using System.Text;
using Npgsql;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Cli;
using Static.Shared.Configuration;

namespace Static.IntegrationTests;

public sealed class SeedTests
{
    private static string ConfigPath => Path.Combine(StackServers.RepositoryRoot, "publish-config.json");

    [Fact]
    public async Task Seeding_twice_with_the_same_arguments_gives_identical_rows()
    {
        await using var first = await TestDatabase.CreateAsync();
        await using var second = await TestDatabase.CreateAsync();

        Assert.Equal(0, await SeedAsync(first, "seed", "--products", "300", "--categories", "9", "--seed", "7"));
        Assert.Equal(0, await SeedAsync(second, "seed", "--products", "300", "--categories", "9", "--seed", "7"));

        var dumpA = await DumpAsync(first);
        Assert.Contains("products:300", dumpA, StringComparison.Ordinal);
        Assert.Equal(dumpA, await DumpAsync(second));

        // And --replace with the same arguments writes the same rows again.
        Assert.Equal(0, await SeedAsync(first, "seed", "--products", "300", "--categories", "9", "--seed", "7", "--replace"));
        Assert.Equal(dumpA, await DumpAsync(first));
    }

    [Fact]
    public async Task Another_seed_gives_other_rows()
    {
        await using var first = await TestDatabase.CreateAsync();
        await using var second = await TestDatabase.CreateAsync();
        Assert.Equal(0, await SeedAsync(first, "seed", "--products", "50", "--seed", "1"));
        Assert.Equal(0, await SeedAsync(second, "seed", "--products", "50", "--seed", "2"));
        Assert.NotEqual(await DumpAsync(first), await DumpAsync(second));
    }

    [Fact]
    public async Task Seeding_a_non_empty_catalog_refuses_and_changes_nothing()
    {
        await using var db = await TestDatabase.CreateAsync();
        Assert.Equal(0, await SeedAsync(db, "seed", "--products", "40", "--seed", "3"));
        var before = await DumpAsync(db);

        var error = new StringWriter();
        var code = await PublisherCli.RunAsync(["seed", "--products", "80", "--seed", "4"], TextWriter.Null, error, Settings(db), ConfigPath);

        Assert.Equal(PublisherCli.ExitFailed, code);
        Assert.Contains("not empty", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("--replace", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, await DumpAsync(db));
    }

    [Fact]
    public async Task If_empty_seeds_an_empty_catalog_and_leaves_a_full_one_alone()
    {
        await using var db = await TestDatabase.CreateAsync();
        Assert.Equal(0, await SeedAsync(db, "seed", "--products", "20", "--if-empty"));
        var before = await DumpAsync(db);
        Assert.Contains("products:20", before, StringComparison.Ordinal);

        Assert.Equal(0, await SeedAsync(db, "seed", "--products", "99", "--if-empty"));
        Assert.Equal(before, await DumpAsync(db));
    }

    [Fact]
    public async Task The_database_rejects_invalid_and_duplicate_slugs()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using (var ok = db.DataSource.CreateCommand("insert into categories (slug, name) values ('shoes-2', 'Shoes')"))
        {
            await ok.ExecuteNonQueryAsync();
        }

        foreach (var bad in new[] { "Shoes", "shoes_2", "-shoes", "shoes-", "sho--es", "", "schuhe ä" })
        {
            await using var insert = db.DataSource.CreateCommand("insert into categories (slug, name) values (@slug, 'x')");
            insert.Parameters.AddWithValue("slug", bad);
            var e = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
            Assert.Equal("categories_slug_format", e.ConstraintName);
        }

        await using var duplicate = db.DataSource.CreateCommand("insert into categories (slug, name) values ('shoes-2', 'Other')");
        var dup = await Assert.ThrowsAsync<PostgresException>(() => duplicate.ExecuteNonQueryAsync());
        Assert.Equal("categories_slug_unique", dup.ConstraintName);
    }

    [Fact]
    public async Task Every_update_bumps_the_row_version_for_optimistic_concurrency()
    {
        await using var db = await TestDatabase.CreateAsync();
        Assert.Equal(0, await SeedAsync(db, "seed", "--products", "5"));
        await using var update = db.DataSource.CreateCommand("update products set name = 'Renamed' where id = 1 and row_version = 1 returning row_version");
        Assert.Equal(2L, await update.ExecuteScalarAsync());

        // A writer still holding version 1 now updates nothing: that is the conflict signal.
        await using var stale = db.DataSource.CreateCommand("update products set name = 'Stale' where id = 1 and row_version = 1");
        Assert.Equal(0, await stale.ExecuteNonQueryAsync());
    }

    private static StackSettings Settings(TestDatabase db) => StackServers.Settings with { Database = db.ConnectionString };

    private static Task<int> SeedAsync(TestDatabase db, params string[] args) =>
        PublisherCli.RunAsync(args, TextWriter.Null, TextWriter.Null, Settings(db), ConfigPath);

    /// <summary>Every catalog row in a stable order, as text: equal dumps mean identical rows.</summary>
    private static async Task<string> DumpAsync(TestDatabase db)
    {
        var text = new StringBuilder();
        foreach (var (table, sql) in new[]
        {
            ("categories", "select id, slug, name, parent_id, sort_order, updated_at, row_version from categories order by id"),
            ("products", "select id, slug, name, description, price_amount, currency, category_id, image_urls, featured_rank, updated_at, row_version from products order by id"),
            ("stock", "select product_id, quantity, updated_at from stock_levels order by product_id"),
            ("config", "select document::text, version from site_config"),
        })
        {
            await using var command = db.DataSource.CreateCommand(sql);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = 0;
            while (await reader.ReadAsync())
            {
                rows++;
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.GetValue(i);
                    text.Append(value is Array a ? string.Join(',', a.Cast<object>()) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)).Append('|');
                }

                text.Append('\n');
            }

            text.Append(table).Append(':').Append(rows).Append('\n');
        }

        return text.ToString();
    }
}
