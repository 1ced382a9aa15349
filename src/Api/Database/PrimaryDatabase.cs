using Npgsql;

namespace Static.Api.Database;

/// <summary>
/// The primary, for admin writes and migrations, when reads go to a replica. Disposes its data source only
/// when it is not the read one (the container disposes that).
/// </summary>
public sealed class PrimaryDatabase(NpgsqlDataSource dataSource, bool owned) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public async ValueTask DisposeAsync()
    {
        if (owned)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
