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
