using System.Globalization;
using Npgsql;
using Static.Shared.Catalog;
using Microsoft.Extensions.Logging.Abstractions;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>
/// A database of the test's own, cloned from a migrated template (CREATE DATABASE ... TEMPLATE), dropped
/// afterwards. The template's name carries the migrations' checksums, so a new migration makes a new one.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private static readonly SemaphoreSlim TemplateGate = new(1, 1);
    private static string? templateName;

    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>A migrated, empty catalog.</summary>
    public static async Task<TestDatabase> CreateAsync(CancellationToken cancellationToken = default)
    {
        var template = await EnsureTemplateAsync(cancellationToken);
        return await CreateFromAsync(template, cancellationToken);
    }

    /// <summary>A database with no tables at all (to test migrations themselves).</summary>
    public static Task<TestDatabase> CreateEmptyAsync(CancellationToken cancellationToken = default) =>
        CreateFromAsync("template0", cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = await OpenAdminAsync(CancellationToken.None);
        await using var drop = new NpgsqlCommand($"drop database if exists \"{Name}\" with (force)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    private static async Task<TestDatabase> CreateFromAsync(string template, CancellationToken cancellationToken)
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var admin = await OpenAdminAsync(cancellationToken))
        await using (var create = new NpgsqlCommand($"create database \"{name}\" template \"{template}\"", admin))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var builder = new NpgsqlConnectionStringBuilder(StackServers.Require(StackServers.Settings.Database, "STATIC_DATABASE"))
        {
            Database = name,
            MaxPoolSize = 20,
        };
        return new TestDatabase(name, builder.ConnectionString);
    }

    private static async Task<string> EnsureTemplateAsync(CancellationToken cancellationToken)
    {
        if (templateName is not null)
        {
            return templateName;
        }

        await TemplateGate.WaitAsync(cancellationToken);
        try
        {
            if (templateName is not null)
            {
                return templateName;
            }

            var hash = string.Concat(MigrationRunner.Embedded.Select(m => m.Checksum));
            var name = "static_tpl_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(hash)))[..12];
            await using var admin = await OpenAdminAsync(cancellationToken);

            // Both test assemblies may race to build it: serialise across processes too.
            await using (var lockCommand = new NpgsqlCommand("select pg_advisory_lock(77001)", admin))
            {
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }

            try
            {
                await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @name and datistemplate", admin);
                exists.Parameters.AddWithValue("name", name);
                if (await exists.ExecuteScalarAsync(cancellationToken) is null)
                {
                    await using (var drop = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", admin))
                    {
                        await drop.ExecuteNonQueryAsync(cancellationToken);
                    }

                    await using (var create = new NpgsqlCommand($"create database \"{name}\" template template0", admin))
                    {
                        await create.ExecuteNonQueryAsync(cancellationToken);
                    }

                    var builder = new NpgsqlConnectionStringBuilder(StackServers.Require(StackServers.Settings.Database, "STATIC_DATABASE")) { Database = name, Pooling = false };
                    await using (var dataSource = NpgsqlDataSource.Create(builder.ConnectionString))
                    {
                        await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(cancellationToken);
                    }

                    await using var mark = new NpgsqlCommand($"alter database \"{name}\" with is_template true allow_connections false", admin);
                    await mark.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            finally
            {
                await using var unlock = new NpgsqlCommand("select pg_advisory_unlock(77001)", admin);
                await unlock.ExecuteNonQueryAsync(CancellationToken.None);
            }

            templateName = name;
            return name;
        }
        finally
        {
            TemplateGate.Release();
        }
    }

    private static async Task<NpgsqlConnection> OpenAdminAsync(CancellationToken cancellationToken)
    {
        var admin = StackServers.Settings.DatabaseAdmin
            ?? new NpgsqlConnectionStringBuilder(StackServers.Require(StackServers.Settings.Database, "STATIC_DATABASE")) { Database = "postgres" }.ConnectionString;
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch (NpgsqlException e)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException(
                string.Create(CultureInfo.InvariantCulture, $"PostgreSQL of the local stack does not answer ({e.Message}). Run ./test.sh, or scripts/stack.sh up first."), e);
        }

        return connection;
    }
}
