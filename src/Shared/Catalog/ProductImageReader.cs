using Npgsql;

namespace Static.Shared.Catalog;

/// <summary>
/// Loads products' images (<c>product_images</c> joined with the sources' sizes) for a batch of products in one
/// query, never one per product.
/// </summary>
public static class ProductImageReader
{
    private const string Select =
        "select pi.product_id, pi.sha256, s.width, s.height from product_images pi join image_sources s on s.sha256 = pi.sha256";

    /// <summary>The images of <paramref name="productIds"/>, by product, in position order.</summary>
    public static async Task<Dictionary<long, List<ProductImage>>> ForProductsAsync(NpgsqlDataSource dataSource, IReadOnlyCollection<long> productIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(productIds);
        if (productIds.Count == 0)
        {
            return [];
        }

        await using var command = dataSource.CreateCommand($"{Select} where pi.product_id = any(@ids) order by pi.product_id, pi.position");
        command.Parameters.AddWithValue("ids", productIds.Distinct().ToArray());
        return await ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every product's images (a full publish reads them all in one pass).</summary>
    public static async Task<Dictionary<long, List<ProductImage>>> AllAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand($"{Select} order by pi.product_id, pi.position");
        return await ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><paramref name="products"/> with their images attached (one query for the whole list).</summary>
    public static async Task<List<Product>> AttachAsync(NpgsqlDataSource dataSource, List<Product> products, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(products);
        var images = await ForProductsAsync(dataSource, products.Select(p => p.Id).ToList(), cancellationToken).ConfigureAwait(false);
        return images.Count == 0 ? products : products.ConvertAll(p => With(p, images));
    }

    /// <summary><paramref name="product"/> with its images from <paramref name="images"/> (none when it has no entry).</summary>
    public static Product With(Product product, Dictionary<long, List<ProductImage>> images)
    {
        ArgumentNullException.ThrowIfNull(product);
        ArgumentNullException.ThrowIfNull(images);
        return images.TryGetValue(product.Id, out var list) ? product with { Images = list } : product;
    }

    private static async Task<Dictionary<long, List<ProductImage>>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var result = new Dictionary<long, List<ProductImage>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetInt64(0);
            if (!result.TryGetValue(id, out var list))
            {
                result[id] = list = [];
            }

            list.Add(new ProductImage(reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3)));
        }

        return result;
    }
}
