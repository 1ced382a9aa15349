using Npgsql;

namespace Static.Publisher.Operations;

/// <summary>Publishing is paused: a rollback pinned a version.</summary>
public sealed class PublishPausedException(long version, DateTimeOffset since)
    : Exception($"Publishing is paused: version {version} was pinned by a rollback at {since:yyyy-MM-dd HH:mm:ss zzz}. Run 'publisher resume' to publish the current catalog again.")
{
    public long Version { get; } = version;
}

/// <summary>The pin a rollback sets and <c>publisher resume</c> clears (table <c>publisher_state</c>).</summary>
public sealed class PinState(NpgsqlDataSource dataSource)
{
    public async Task<(long Version, DateTimeOffset Since)?> GetAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select pinned_version, pinned_at from publisher_state where id = 1 and pinned_version is not null");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? (reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1))
            : null;
    }

    /// <summary>Throws <see cref="PublishPausedException"/> when a version is pinned.</summary>
    public async Task ThrowIfPinnedAsync(CancellationToken cancellationToken)
    {
        if (await GetAsync(cancellationToken).ConfigureAwait(false) is { } pin)
        {
            throw new PublishPausedException(pin.Version, pin.Since);
        }
    }

    /// <summary>Clears the pin; returns the version that was pinned, if any.</summary>
    public async Task<long?> ClearAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update publisher_state s set pinned_version = null, pinned_at = null from (select pinned_version from publisher_state where id = 1) old where s.id = 1 returning old.pinned_version");
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long?;
    }
}
