using Npgsql;

namespace Static.Shared.Catalog;

/// <summary>
/// The image pipeline's rows: sources by SHA-256 (<c>image_sources</c>) and the variants the publisher has uploaded
/// (<c>image_variants</c>, by store key), so a variant is encoded and uploaded once whatever publishes follow.
/// </summary>
public sealed class ImageStore(NpgsqlDataSource dataSource)
{
    /// <summary>Which of <paramref name="keys"/> are recorded as uploaded.</summary>
    public async Task<HashSet<string>> RecordedVariantsAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var recorded = new HashSet<string>(StringComparer.Ordinal);
        if (keys.Count == 0)
        {
            return recorded;
        }

        await using var command = dataSource.CreateCommand("select key from image_variants where key = any(@keys)");
        command.Parameters.AddWithValue("keys", keys.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            recorded.Add(reader.GetString(0));
        }

        return recorded;
    }

    /// <summary>Records a variant as uploaded (after the store accepted it).</summary>
    public async Task RecordVariantAsync(string key, string sourceSha256, int bytes, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "insert into image_variants (key, source_sha256, bytes) values (@key, @source, @bytes) on conflict (key) do nothing");
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("source", sourceSha256);
        command.Parameters.AddWithValue("bytes", bytes);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A source with its bytes, or null.</summary>
    public async Task<ImageSource?> GetSourceAsync(string sha256, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select sha256, content_type, width, height, bytes from image_sources where sha256 = @sha");
        command.Parameters.AddWithValue("sha", sha256);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new ImageSource(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetFieldValue<byte[]>(4))
            : null;
    }
}
