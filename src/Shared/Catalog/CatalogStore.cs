using Npgsql;
using NpgsqlTypes;

namespace Static.Shared.Catalog;

/// <summary>Thrown when a seed would overwrite a catalog that already holds data.</summary>
public sealed class CatalogNotEmptyException(CatalogCounts counts)
    : InvalidOperationException(
        $"The catalog is not empty ({counts.Categories} categories, {counts.Products} products). " +
        "Use --replace to delete it and write the new one.")
{
    public CatalogCounts Counts { get; } = counts;
}

/// <summary>
/// Reads and bulk-writes the catalog tables. Parameterised SQL only; the bulk path uses binary COPY so
/// a 100,000-product demo catalog loads in seconds.
/// </summary>
public sealed class CatalogStore(NpgsqlDataSource dataSource)
{
    public async Task<CatalogCounts> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await CountAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes <paramref name="snapshot"/> in one transaction. Refuses a non-empty catalog unless
    /// <paramref name="replace"/>, in which case the old catalog is deleted in the same transaction (so a
    /// failed seed leaves the old catalog as it was).
    /// </summary>
    public async Task WriteSnapshotAsync(CatalogSnapshot snapshot, bool replace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Lock out a concurrent seed or admin write while we check and replace.
        await using (var lockTables = new NpgsqlCommand(
            "lock table categories, products, stock_levels, site_config, product_images in exclusive mode", connection, transaction))
        {
            await lockTables.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var counts = await CountAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        if (!counts.IsEmpty)
        {
            if (!replace)
            {
                throw new CatalogNotEmptyException(counts);
            }

            await using var truncate = new NpgsqlCommand(
                "truncate product_images, stock_levels, products, categories, site_config restart identity", connection, transaction);
            await truncate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await CopyCategoriesAsync(connection, snapshot.Categories, cancellationToken).ConfigureAwait(false);
        await CopyProductsAsync(connection, snapshot.Products, cancellationToken).ConfigureAwait(false);
        await CopyStockAsync(connection, snapshot.Stock, cancellationToken).ConfigureAwait(false);
        await WriteImagesAsync(connection, transaction, snapshot, cancellationToken).ConfigureAwait(false);

        await using (var config = new NpgsqlCommand(
            "insert into site_config (id, document, version, updated_at) values (1, @document::jsonb, 1, @updated)", connection, transaction))
        {
            config.Parameters.AddWithValue("document", CatalogJsonContext.Serialize(snapshot.SiteConfig));
            config.Parameters.AddWithValue("updated", snapshot.Products.Count > 0 ? snapshot.Products.Max(p => p.UpdatedAt) : DateTimeOffset.UnixEpoch);
            await config.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Explicit ids were inserted; move the identity sequences past them so later inserts do not collide.
        await using (var sequences = new NpgsqlCommand(
            """
            select setval(pg_get_serial_sequence('categories', 'id'), coalesce((select max(id) from categories), 0) + 1, false);
            select setval(pg_get_serial_sequence('products', 'id'), coalesce((select max(id) from products), 0) + 1, false);
            """, connection, transaction))
        {
            await sequences.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Category>> GetCategoriesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select id, slug, name, parent_id, sort_order, updated_at, row_version from categories order by sort_order, id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<Category>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(ReadCategory(reader));
        }

        return list;
    }

    /// <summary>Products with id greater than <paramref name="afterId"/>, in id order (keyset paging).</summary>
    public async Task<IReadOnlyList<Product>> GetProductsAsync(long afterId, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select id, slug, name, description, price_amount, currency, category_id, image_urls, featured_rank, updated_at, row_version
            from products where id > @after order by id limit @limit
            """);
        command.Parameters.AddWithValue("after", afterId);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<Product>(Math.Min(limit, 10_000));
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(ReadProduct(reader));
        }

        await reader.DisposeAsync().ConfigureAwait(false);
        return await ProductImageReader.AttachAsync(dataSource, list, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<StockLevel>> GetStockAsync(IReadOnlyCollection<long> productIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(productIds);
        await using var command = dataSource.CreateCommand(
            "select product_id, quantity, updated_at from stock_levels where product_id = any(@ids) order by product_id");
        command.Parameters.AddWithValue("ids", productIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<StockLevel>(productIds.Count);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new StockLevel(reader.GetInt64(0), reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return list;
    }

    public async Task<SiteConfigRecord?> GetSiteConfigAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select document::text, version, updated_at from site_config where id = 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new SiteConfigRecord(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2))
            : null;
    }

    /// <summary>A category row in the column order id, slug, name, parent_id, sort_order, updated_at, row_version.</summary>
    internal static Category ReadCategory(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.GetInt32(4),
        reader.GetFieldValue<DateTimeOffset>(5), reader.GetInt64(6));

    internal static Product ReadProduct(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
        new Money(reader.GetDecimal(4), reader.GetString(5)), reader.GetInt64(6),
        reader.GetFieldValue<string[]>(7), reader.IsDBNull(8) ? null : reader.GetInt32(8),
        reader.GetFieldValue<DateTimeOffset>(9), reader.GetInt64(10));

    private static async Task<CatalogCounts> CountAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            select (select count(*) from categories), (select count(*) from products),
                   (select count(*) from stock_levels), exists (select 1 from site_config)
            """, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new CatalogCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetBoolean(3));
    }

    private static async Task CopyCategoriesAsync(NpgsqlConnection connection, IReadOnlyList<Category> categories, CancellationToken cancellationToken)
    {
        // Parents first, so the foreign key holds row by row.
        var ordered = categories.OrderBy(c => c.ParentId is null ? 0 : 1).ThenBy(c => c.Id);
        await using var writer = await connection.BeginBinaryImportAsync(
            "copy categories (id, slug, name, parent_id, sort_order, updated_at, row_version) from stdin (format binary)",
            cancellationToken).ConfigureAwait(false);
        foreach (var c in ordered)
        {
            ValidateSlug(c.Slug, "category", c.Id);
            await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(c.Id, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(c.Slug, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(c.Name, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            if (c.ParentId is { } parent)
            {
                await writer.WriteAsync(parent, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await writer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
            }

            await writer.WriteAsync(c.SortOrder, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(c.UpdatedAt, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(c.RowVersion, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
        }

        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task CopyProductsAsync(NpgsqlConnection connection, IReadOnlyList<Product> products, CancellationToken cancellationToken)
    {
        await using var writer = await connection.BeginBinaryImportAsync(
            """
            copy products (id, slug, name, description, price_amount, currency, category_id, image_urls, featured_rank, updated_at, row_version)
            from stdin (format binary)
            """, cancellationToken).ConfigureAwait(false);
        foreach (var p in products)
        {
            ValidateSlug(p.Slug, "product", p.Id);
            await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(p.Id, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(p.Slug, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(p.Name, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(p.Description, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(p.Price.Amount, NpgsqlDbType.Numeric, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(p.Price.Currency, NpgsqlDbType.Char, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(p.CategoryId, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(p.ImageUrls.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            if (p.FeaturedRank is { } rank)
            {
                await writer.WriteAsync(rank, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await writer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
            }

            await writer.WriteAsync(p.UpdatedAt, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(p.RowVersion, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
        }

        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores an image source by its SHA-256 in the caller's transaction (a source already stored is left as it is). The seed and the admin upload both write through here.</summary>
    public static async Task InsertImageSourceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ImageSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        await using var insert = new NpgsqlCommand(
            """
            insert into image_sources (sha256, content_type, width, height, bytes) values (@sha, @type, @width, @height, @bytes)
            on conflict (sha256) do nothing
            """, connection, transaction);
        insert.Parameters.AddWithValue("sha", source.Sha256);
        insert.Parameters.AddWithValue("type", source.ContentType);
        insert.Parameters.AddWithValue("width", source.Width);
        insert.Parameters.AddWithValue("height", source.Height);
        insert.Parameters.AddWithValue("bytes", source.Bytes);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The snapshot's image sources (kept when already stored: they are named by their bytes) and the products'
    /// image rows, in position order.
    /// </summary>
    private static async Task WriteImagesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CatalogSnapshot snapshot, CancellationToken cancellationToken)
    {
        foreach (var source in snapshot.ImageSources)
        {
            await InsertImageSourceAsync(connection, transaction, source, cancellationToken).ConfigureAwait(false);
        }

        await using var writer = await connection.BeginBinaryImportAsync(
            "copy product_images (product_id, position, sha256) from stdin (format binary)", cancellationToken).ConfigureAwait(false);
        foreach (var p in snapshot.Products)
        {
            for (var position = 0; position < p.Images.Count; position++)
            {
                await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(p.Id, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(position, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(p.Images[position].Sha256, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            }
        }

        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task CopyStockAsync(NpgsqlConnection connection, IReadOnlyList<StockLevel> stock, CancellationToken cancellationToken)
    {
        await using var writer = await connection.BeginBinaryImportAsync(
            "copy stock_levels (product_id, quantity, updated_at) from stdin (format binary)", cancellationToken).ConfigureAwait(false);
        foreach (var s in stock)
        {
            await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(s.ProductId, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(s.Quantity, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(s.UpdatedAt, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
        }

        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void ValidateSlug(string slug, string entity, long id)
    {
        if (!Slug.IsValid(slug))
        {
            throw new ArgumentException($"The {entity} {id} has an invalid slug '{slug}': use lowercase letters, digits and single hyphens.");
        }
    }
}
