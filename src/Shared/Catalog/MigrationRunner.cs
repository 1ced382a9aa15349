using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Static.Shared.Catalog;

/// <summary>One ordered SQL migration embedded in this assembly (Catalog/Migrations/NNNN_name.sql).</summary>
public sealed record Migration(string Id, string Sql, string Checksum);

/// <summary>The outcome of <see cref="MigrationRunner.ApplyAsync"/>: which migrations ran now.</summary>
public sealed record MigrationResult(IReadOnlyList<string> Applied, int AlreadyApplied);

/// <summary>
/// Applies the embedded migrations in order, each in its own transaction, recording each in
/// <c>schema_migrations</c>. Idempotent; concurrent runners (the Api and the Publisher starting together)
/// serialise on an advisory lock. A migration edited after it was applied stops the program.
/// </summary>
public sealed partial class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner> logger)
{
    // Any constant works; it only has to differ from the publisher's lock key.
    private const long MigrationLockKey = 0x5374_6174_6963_0001;

    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    public async Task<MigrationResult> ApplyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand("select pg_advisory_lock(@key)", connection))
        {
            lockCommand.Parameters.AddWithValue("key", MigrationLockKey);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await using (var create = new NpgsqlCommand(
                """
                create table if not exists schema_migrations (
                    id         text        primary key,
                    checksum   text        not null,
                    applied_at timestamptz not null default now()
                )
                """, connection))
            {
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var applied = new Dictionary<string, string>(StringComparer.Ordinal);
            await using (var read = new NpgsqlCommand("select id, checksum from schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    applied[reader.GetString(0)] = reader.GetString(1);
                }
            }

            var ran = new List<string>();
            foreach (var migration in Embedded)
            {
                if (applied.TryGetValue(migration.Id, out var checksum))
                {
                    if (!string.Equals(checksum, migration.Checksum, StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException(
                            $"Migration {migration.Id} was changed after it was applied to this database " +
                            $"(recorded checksum {checksum}, now {migration.Checksum}). Add a new migration instead of editing an applied one.");
                    }

                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (var apply = new NpgsqlCommand(migration.Sql, connection, transaction))
                {
                    await apply.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await using (var record = new NpgsqlCommand(
                    "insert into schema_migrations (id, checksum) values (@id, @checksum)", connection, transaction))
                {
                    record.Parameters.AddWithValue("id", migration.Id);
                    record.Parameters.AddWithValue("checksum", migration.Checksum);
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                LogApplied(logger, migration.Id);
                ran.Add(migration.Id);
            }

            return new MigrationResult(ran, Embedded.Count - ran.Count);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("select pg_advisory_unlock(@key)", connection);
            unlock.Parameters.AddWithValue("key", MigrationLockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static List<Migration> LoadEmbedded()
    {
        const string prefix = "Static.Migrations.";
        var assembly = typeof(MigrationRunner).Assembly;
        var list = new List<Migration>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"Embedded migration {name} cannot be read.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var sql = reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
            list.Add(new Migration(name[prefix.Length..^".sql".Length], sql, checksum));
        }

        list.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return list;
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Applied migration {MigrationId}")]
    private static partial void LogApplied(ILogger logger, string migrationId);
}
