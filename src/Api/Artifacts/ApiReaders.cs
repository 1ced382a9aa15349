using System.Text;
using System.Text.Json;
using Npgsql;
using Static.Shared.Catalog;
using ZiggyCreatures.Caching.Fusion;

namespace Static.Api.Artifacts;

/// <summary>The live manifest root, as recorded in the publishes table (the same bytes the publisher uploaded).</summary>
public sealed class LiveManifestReader(NpgsqlDataSource dataSource)
{
    private readonly Shared.Publishes.PublishesStore publishes = new(dataSource);

    public async Task<byte[]?> LiveRootAsync(CancellationToken cancellationToken)
    {
        if (await publishes.FindLiveManifestAsync(cancellationToken).ConfigureAwait(false) is not { Json: var json })
        {
            return null;
        }

        // Re-serialised through the manifest's own format: sorted, compact, byte-identical to the upload.
        return Shared.Manifests.ManifestSharding.Serialize(Shared.Manifests.ManifestSharding.DeserializeRoot(Encoding.UTF8.GetBytes(json)));
    }
}

/// <summary>
/// The live version's shards, rebuilt from the <c>artifacts</c> table (the live path -> hash index the publisher
/// commits with each version): the same bytes as the uploaded shard, so a client falling back to the Api verifies
/// them against the root's hash like any other copy. Only the live shard is served: a shard name whose hash is not
/// the live one is not found. Shards are immutable, so they are kept in memory by name and hash.
/// </summary>
public sealed partial class LiveShardReader(NpgsqlDataSource dataSource, IFusionCache cache)
{
    public async Task<byte[]?> GetAsync(string shard, string hash, CancellationToken cancellationToken)
    {
        var options = new FusionCacheEntryOptions { Duration = TimeSpan.FromMinutes(10), SkipDistributedCacheRead = true, SkipDistributedCacheWrite = true, SkipBackplaneNotifications = true };
        var bytes = await cache.GetOrSetAsync<byte[]>($"shard:{shard}.{hash}", async (context, ct) =>
        {
            var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
            await using var command = dataSource.CreateCommand("select path, sha256 from artifacts where shard = @shard");
            command.Parameters.AddWithValue("shard", shard);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                entries[reader.GetString(0)] = reader.GetString(1);
            }

            var (body, actual) = entries.Count == 0 ? ([], "") : Shared.Manifests.ManifestSharding.Serialize(new Shared.Manifests.ManifestShard(Shared.Manifests.ObjectKeys.FormatVersion, shard, entries));
            if (actual != hash)
            {
                // Not the live shard (an older one, or a publish in flight): nothing to keep.
                context.Options.Duration = TimeSpan.FromSeconds(1);
                return [];
            }

            return body;
        }, options, cancellationToken).ConfigureAwait(false);
        return bytes.Length == 0 ? null : bytes;
    }

    /// <summary>Parses <c>{shard}.{hash16}.json</c>; false for anything else.</summary>
    public static bool TryParseFile(string file, out string shard, out string hash)
    {
        var match = ShardFile().Match(file);
        shard = match.Success ? match.Groups[1].Value : "";
        hash = match.Success ? match.Groups[2].Value : "";
        return match.Success;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^([a-z]+(?:-[0-9]{1,9})?)\\.([0-9a-f]{16})\\.json$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex ShardFile();
}

/// <summary>Stock levels: volatile, never published, cached a couple of seconds in this instance's memory only.</summary>
public sealed class StockReader(CatalogStore catalog, IFusionCache cache, Shared.Configuration.PublishConfig config)
{
    public async Task<byte[]> GetAsync(long[] ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var options = new FusionCacheEntryOptions { Duration = config.Api.StockDuration, SkipDistributedCacheRead = true, SkipDistributedCacheWrite = true, SkipBackplaneNotifications = true };
        return await cache.GetOrSetAsync<byte[]>("stock:" + string.Join(',', ids), async (context, ct) =>
        {
            // Tagged per product, so an admin stock change evicts every cached combination that included it.
            context.Tags = [.. ids.Select(Admin.AdminStore.StockKey)];
            var levels = await catalog.GetStockAsync(ids, ct).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                foreach (var level in levels)
                {
                    json.WriteNumber(level.ProductId.ToString(System.Globalization.CultureInfo.InvariantCulture), level.Quantity);
                }

                json.WriteEndObject();
            }

            return buffer.ToArray();
        }, options, cancellationToken).ConfigureAwait(false);
    }
}
