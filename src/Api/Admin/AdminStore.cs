using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Static.Api.Database;
using Static.Shared.Artifacts;

namespace Static.Api.Admin;

/// <summary>How an admin write ended; the endpoints turn it into a status code.</summary>
public abstract record AdminOutcome<T>
{
    public sealed record Done(T Value, IReadOnlyList<string> EvictKeys) : AdminOutcome<T>;

    public sealed record NotFound(string What) : AdminOutcome<T>;

    /// <summary>If-Match named another row version than the current one.</summary>
    public sealed record Stale(long Current) : AdminOutcome<T>;

    public sealed record Conflict(string Field, string Message) : AdminOutcome<T>;

    public sealed record Unprocessable(string Field, string Message) : AdminOutcome<T>;

    /// <summary>PostgreSQL refused a value validation let through (a safety net: answered as 400).</summary>
    public sealed record Invalid(string Field, string Message) : AdminOutcome<T>;
}

/// <summary>
/// The admin writes, against the primary. Each runs in one transaction with its outbox row (and
/// <c>pg_notify('static_outbox', id)</c>, delivered on commit), so a change and the record that it must be
/// published commit together or not at all. Stock changes write no outbox row: stock is never published.
/// </summary>
public sealed class AdminStore(PrimaryDatabase primary)
{
    private readonly NpgsqlDataSource dataSource = primary.DataSource;

    private const string ProductColumns = "id, slug, name, description, price_amount, currency, category_id, image_urls, featured_rank, row_version";

    public async Task<ProductOutput?> GetProductAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select {ProductColumns} from products where id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadProduct(reader, null) : null;
    }

    public Task<AdminOutcome<ProductOutput>> CreateProductAsync(ProductInput input, string slug, CancellationToken cancellationToken) =>
        WriteAsync<ProductOutput>(async (connection, transaction) =>
        {
            if (!await ExistsAsync(connection, transaction, "categories", input.CategoryId!.Value, cancellationToken).ConfigureAwait(false))
            {
                return new AdminOutcome<ProductOutput>.Unprocessable("categoryId", $"category {input.CategoryId} does not exist");
            }

            await using var insert = new NpgsqlCommand(
                $"""
                insert into products (slug, name, description, price_amount, currency, category_id, image_urls, featured_rank)
                values (@slug, @name, @description, @price, @currency, @category, @images, @featured)
                returning {ProductColumns}
                """, connection, transaction);
            AddProductParameters(insert, input, slug);
            var created = await ReadOneProductAsync(insert, cancellationToken).ConfigureAwait(false);
            var publishId = await OutboxAsync(connection, transaction, "product", created.Id, "created", null, cancellationToken).ConfigureAwait(false);
            return new AdminOutcome<ProductOutput>.Done(created with { PublishId = publishId }, ChangeImpact.OfProduct(created.Id, null, new ProductPlacement(created.CategoryId, created.FeaturedRank)));
        }, cancellationToken);

    public Task<AdminOutcome<ProductOutput>> UpdateProductAsync(long id, long? ifMatch, ProductInput input, string slug, CancellationToken cancellationToken) =>
        WriteAsync<ProductOutput>(async (connection, transaction) =>
        {
            var current = await LockProductAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return new AdminOutcome<ProductOutput>.NotFound($"product {id}");
            }

            if (ifMatch is { } expected && expected != current.Value.RowVersion)
            {
                return new AdminOutcome<ProductOutput>.Stale(current.Value.RowVersion);
            }

            if (!await ExistsAsync(connection, transaction, "categories", input.CategoryId!.Value, cancellationToken).ConfigureAwait(false))
            {
                return new AdminOutcome<ProductOutput>.Unprocessable("categoryId", $"category {input.CategoryId} does not exist");
            }

            await using var update = new NpgsqlCommand(
                $"""
                update products set slug = @slug, name = @name, description = @description, price_amount = @price, currency = @currency,
                    category_id = @category, image_urls = @images, featured_rank = @featured, updated_at = now()
                where id = @id
                returning {ProductColumns}
                """, connection, transaction);
            AddProductParameters(update, input, slug);
            update.Parameters.AddWithValue("id", id);
            var updated = await ReadOneProductAsync(update, cancellationToken).ConfigureAwait(false);
            var payload = JsonSerializer.Serialize(new { before = new { categoryId = current.Value.CategoryId, featuredRank = current.Value.FeaturedRank } });
            var publishId = await OutboxAsync(connection, transaction, "product", id, "updated", payload, cancellationToken).ConfigureAwait(false);
            return new AdminOutcome<ProductOutput>.Done(updated with { PublishId = publishId },
                ChangeImpact.OfProduct(id, new ProductPlacement(current.Value.CategoryId, current.Value.FeaturedRank), new ProductPlacement(updated.CategoryId, updated.FeaturedRank)));
        }, cancellationToken);

    public Task<AdminOutcome<long>> DeleteProductAsync(long id, long? ifMatch, CancellationToken cancellationToken) =>
        WriteAsync<long>(async (connection, transaction) =>
        {
            var current = await LockProductAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return new AdminOutcome<long>.NotFound($"product {id}");
            }

            if (ifMatch is { } expected && expected != current.Value.RowVersion)
            {
                return new AdminOutcome<long>.Stale(current.Value.RowVersion);
            }

            await using (var delete = new NpgsqlCommand("delete from products where id = @id", connection, transaction))
            {
                delete.Parameters.AddWithValue("id", id);
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var payload = JsonSerializer.Serialize(new { before = new { categoryId = current.Value.CategoryId, featuredRank = current.Value.FeaturedRank } });
            var publishId = await OutboxAsync(connection, transaction, "product", id, "deleted", payload, cancellationToken).ConfigureAwait(false);
            return new AdminOutcome<long>.Done(publishId, ChangeImpact.OfProduct(id, new ProductPlacement(current.Value.CategoryId, current.Value.FeaturedRank), null));
        }, cancellationToken);

    /// <summary>
    /// Replaces a product's images with <paramref name="uploads"/>, in order: sources stored by SHA-256 (an already
    /// stored one is kept as it is), the product's rows rewritten, and the product bumped (row version, updated_at)
    /// with an outbox row like any product edit, so the publisher republishes exactly its dependents.
    /// </summary>
    public Task<AdminOutcome<ProductImagesOutput>> ReplaceProductImagesAsync(long id, long? ifMatch, IReadOnlyList<ImageUpload> uploads, CancellationToken cancellationToken) =>
        WriteAsync<ProductImagesOutput>(async (connection, transaction) =>
        {
            var current = await LockProductAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return new AdminOutcome<ProductImagesOutput>.NotFound($"product {id}");
            }

            if (ifMatch is { } expected && expected != current.Value.RowVersion)
            {
                return new AdminOutcome<ProductImagesOutput>.Stale(current.Value.RowVersion);
            }

            foreach (var upload in uploads.DistinctBy(u => u.Sha256))
            {
                await Shared.Catalog.CatalogStore.InsertImageSourceAsync(connection, transaction,
                    new Shared.Catalog.ImageSource(upload.Sha256, upload.ContentType, upload.Width, upload.Height, upload.Bytes), cancellationToken).ConfigureAwait(false);
            }

            await using (var replace = new NpgsqlCommand(
                """
                delete from product_images where product_id = @id;
                insert into product_images (product_id, position, sha256)
                select @id, t.position - 1, t.sha256 from unnest(@shas) with ordinality as t (sha256, position);
                """, connection, transaction))
            {
                replace.Parameters.AddWithValue("id", id);
                replace.Parameters.AddWithValue("shas", uploads.Select(u => u.Sha256).ToArray());
                await replace.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            long rowVersion;
            await using (var bump = new NpgsqlCommand("update products set updated_at = now() where id = @id returning row_version", connection, transaction))
            {
                bump.Parameters.AddWithValue("id", id);
                rowVersion = (long)(await bump.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }

            var placement = new ProductPlacement(current.Value.CategoryId, current.Value.FeaturedRank);
            var payload = JsonSerializer.Serialize(new { before = new { categoryId = current.Value.CategoryId, featuredRank = current.Value.FeaturedRank }, images = uploads.Count });
            var publishId = await OutboxAsync(connection, transaction, "product", id, "updated", payload, cancellationToken).ConfigureAwait(false);
            var output = new ProductImagesOutput(id, [.. uploads.Select((u, i) => new ProductImageOutput(i, u.Sha256, u.ContentType, u.Width, u.Height, u.Bytes.Length))], rowVersion, publishId);
            return new AdminOutcome<ProductImagesOutput>.Done(output, ChangeImpact.OfProduct(id, placement, placement));
        }, cancellationToken);

    public Task<AdminOutcome<StockOutput>> SetStockAsync(long productId, int quantity, CancellationToken cancellationToken) =>
        WriteAsync<StockOutput>(async (connection, transaction) =>
        {
            if (!await ExistsAsync(connection, transaction, "products", productId, cancellationToken).ConfigureAwait(false))
            {
                return new AdminOutcome<StockOutput>.NotFound($"product {productId}");
            }

            await using var upsert = new NpgsqlCommand(
                """
                insert into stock_levels (product_id, quantity) values (@id, @quantity)
                on conflict (product_id) do update set quantity = excluded.quantity, updated_at = now()
                """, connection, transaction);
            upsert.Parameters.AddWithValue("id", productId);
            upsert.Parameters.AddWithValue("quantity", quantity);
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new AdminOutcome<StockOutput>.Done(new StockOutput(productId, quantity), [StockKey(productId)]);
        }, cancellationToken);

    public static string StockKey(long productId) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"stock:{productId}");

    public async Task<CategoryOutput?> GetCategoryAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select id, slug, name, parent_id, sort_order, row_version from categories where id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadCategory(reader, null) : null;
    }

    public Task<AdminOutcome<CategoryOutput>> SaveCategoryAsync(long? id, long? ifMatch, CategoryInput input, string slug, CancellationToken cancellationToken) =>
        WriteAsync<CategoryOutput>(async (connection, transaction) =>
        {
            if (input.ParentId is { } parent && (parent == id || !await ExistsAsync(connection, transaction, "categories", parent, cancellationToken).ConfigureAwait(false)))
            {
                return new AdminOutcome<CategoryOutput>.Unprocessable("parentId", $"category {parent} does not exist or is the category itself");
            }

            if (id is { } moved && input.ParentId is { } newParent && await IsAncestorAsync(connection, transaction, moved, newParent, cancellationToken).ConfigureAwait(false))
            {
                return new AdminOutcome<CategoryOutput>.Unprocessable("parentId", $"category {newParent} is inside category {moved}: the tree would have a cycle");
            }

            NpgsqlCommand command;
            if (id is { } existing)
            {
                await using var select = new NpgsqlCommand("select row_version from categories where id = @id for update", connection, transaction);
                select.Parameters.AddWithValue("id", existing);
                if (await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not long version)
                {
                    return new AdminOutcome<CategoryOutput>.NotFound($"category {existing}");
                }

                if (ifMatch is { } expected && expected != version)
                {
                    return new AdminOutcome<CategoryOutput>.Stale(version);
                }

                command = new NpgsqlCommand(
                    """
                    update categories set slug = @slug, name = @name, parent_id = @parent, sort_order = @sort, updated_at = now() where id = @id
                    returning id, slug, name, parent_id, sort_order, row_version
                    """, connection, transaction);
                command.Parameters.AddWithValue("id", existing);
            }
            else
            {
                command = new NpgsqlCommand(
                    """
                    insert into categories (slug, name, parent_id, sort_order) values (@slug, @name, @parent, @sort)
                    returning id, slug, name, parent_id, sort_order, row_version
                    """, connection, transaction);
            }

            CategoryOutput saved;
            await using (command)
            {
                command.Parameters.AddWithValue("slug", slug);
                command.Parameters.AddWithValue("name", input.Name!);
                command.Parameters.Add(new NpgsqlParameter("parent", NpgsqlDbType.Bigint) { Value = (object?)input.ParentId ?? DBNull.Value });
                command.Parameters.AddWithValue("sort", input.SortOrder ?? 0);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                saved = ReadCategory(reader, null);
            }

            var publishId = await OutboxAsync(connection, transaction, "category", saved.Id, id is null ? "created" : "updated", null, cancellationToken).ConfigureAwait(false);
            return new AdminOutcome<CategoryOutput>.Done(saved with { PublishId = publishId }, ChangeImpact.OfCategory(saved.Id));
        }, cancellationToken);

    public Task<AdminOutcome<long>> DeleteCategoryAsync(long id, long? ifMatch, CancellationToken cancellationToken) =>
        WriteAsync<long>(async (connection, transaction) =>
        {
            await using (var select = new NpgsqlCommand("select row_version from categories where id = @id for update", connection, transaction))
            {
                select.Parameters.AddWithValue("id", id);
                if (await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not long version)
                {
                    return new AdminOutcome<long>.NotFound($"category {id}");
                }

                if (ifMatch is { } expected && expected != version)
                {
                    return new AdminOutcome<long>.Stale(version);
                }
            }

            await using (var delete = new NpgsqlCommand("delete from categories where id = @id", connection, transaction))
            {
                delete.Parameters.AddWithValue("id", id);
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var publishId = await OutboxAsync(connection, transaction, "category", id, "deleted", null, cancellationToken).ConfigureAwait(false);
            return new AdminOutcome<long>.Done(publishId, ChangeImpact.OfCategory(id));
        }, cancellationToken);

    public async Task<ConfigOutput?> GetConfigAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select version, document::text from site_config where id = 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        using var document = JsonDocument.Parse(reader.GetString(1));
        return new ConfigOutput(reader.GetInt64(0), document.RootElement.Clone(), null);
    }

    public Task<AdminOutcome<ConfigOutput>> SetConfigAsync(long? ifMatch, JsonElement document, CancellationToken cancellationToken) =>
        WriteAsync<ConfigOutput>(async (connection, transaction) =>
        {
            await using (var select = new NpgsqlCommand("select version from site_config where id = 1 for update", connection, transaction))
            {
                if (await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long version && ifMatch is { } expected && expected != version)
                {
                    return new AdminOutcome<ConfigOutput>.Stale(version);
                }
            }

            long saved;
            await using (var upsert = new NpgsqlCommand(
                """
                insert into site_config (id, document) values (1, @document::jsonb)
                on conflict (id) do update set document = excluded.document, updated_at = now()
                returning version
                """, connection, transaction))
            {
                upsert.Parameters.AddWithValue("document", document.GetRawText());
                saved = (long)(await upsert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }

            var publishId = await OutboxAsync(connection, transaction, "site_config", 1, "updated", null, cancellationToken).ConfigureAwait(false);
            return new AdminOutcome<ConfigOutput>.Done(new ConfigOutput(saved, document, publishId), ChangeImpact.OfConfig());
        }, cancellationToken);

    public Task<AdminOutcome<long>> RequestRepublishAsync(RepublishInput input, CancellationToken cancellationToken) =>
        WriteAsync<long>(async (connection, transaction) =>
        {
            var payload = JsonSerializer.Serialize(new { all = input.All == true, paths = input.Paths ?? [], keys = input.Keys ?? [] });
            var id = await OutboxAsync(connection, transaction, "republish", null, "requested", payload, cancellationToken).ConfigureAwait(false);
            return new AdminOutcome<long>.Done(id, []);
        }, cancellationToken);

    private async Task<AdminOutcome<T>> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<AdminOutcome<T>>> work, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var outcome = await work(connection, transaction).ConfigureAwait(false);
            if (outcome is AdminOutcome<T>.Done)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return outcome;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return new AdminOutcome<T>.Conflict("slug", $"the slug is already used by another {(e.TableName == "categories" ? "category" : "product")}");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            // A category deleted between the existence check and this write names the missing one (422);
            // otherwise a delete hit a row that still refers to the category (409).
            return e.ConstraintName switch
            {
                "products_category_id_fkey" => new AdminOutcome<T>.Unprocessable("categoryId", "the category does not exist (any more)"),
                "categories_parent_id_fkey" when e.TableName == "categories" && e.MessageText.Contains("insert or update", StringComparison.Ordinal)
                    => new AdminOutcome<T>.Unprocessable("parentId", "the parent category does not exist (any more)"),
                _ => new AdminOutcome<T>.Conflict("id", $"still referenced ({e.ConstraintName}): a category with products or sub-categories cannot be deleted"),
            };
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("22", StringComparison.Ordinal) || e.SqlState == PostgresErrorCodes.CheckViolation)
        {
            // Data exceptions (a NUL byte, a value out of a column's range) and check constraints.
            return new AdminOutcome<T>.Invalid(e.ColumnName ?? e.ConstraintName ?? "body", e.MessageText);
        }
    }

    /// <summary>Category re-parentings run one at a time (two at once could each close half of a cycle).</summary>
    private const long CategoryTreeLockKey = 0x5374_6174_6963_0003;

    /// <summary>
    /// Whether <paramref name="ancestor"/> is <paramref name="category"/> or one of its parents, walking up from it.
    /// Takes the category-tree lock first (released at commit), so the answer holds until this transaction ends.
    /// </summary>
    private static async Task<bool> IsAncestorAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long ancestor, long category, CancellationToken cancellationToken)
    {
        await using (var treeLock = new NpgsqlCommand("select pg_advisory_xact_lock(@key)", connection, transaction))
        {
            treeLock.Parameters.AddWithValue("key", CategoryTreeLockKey);
            await treeLock.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var walk = new NpgsqlCommand(
            """
            with recursive up (id, parent_id, depth) as (
                select id, parent_id, 0 from categories where id = @category
                union all
                select c.id, c.parent_id, up.depth + 1 from categories c join up on c.id = up.parent_id where up.depth < 10000)
            select exists (select 1 from up where id = @ancestor)
            """, connection, transaction);
        walk.Parameters.AddWithValue("category", category);
        walk.Parameters.AddWithValue("ancestor", ancestor);
        return (bool)(await walk.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static Task<long> OutboxAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string type, long? entityId, string change, string? payload, CancellationToken cancellationToken) =>
        Shared.Outbox.OutboxStore.EnqueueAsync(connection, transaction, type, entityId, change, payload, cancellationToken);

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, long id, CancellationToken cancellationToken)
    {
        // The table name is one of two constants, never input.
        await using var command = new NpgsqlCommand($"select exists (select 1 from {(table == "products" ? "products" : "categories")} where id = @id)", connection, transaction);
        command.Parameters.AddWithValue("id", id);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task<(long CategoryId, int? FeaturedRank, long RowVersion)?> LockProductAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, CancellationToken cancellationToken)
    {
        await using var select = new NpgsqlCommand("select category_id, featured_rank, row_version from products where id = @id for update", connection, transaction);
        select.Parameters.AddWithValue("id", id);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.GetInt64(2))
            : null;
    }

    private static void AddProductParameters(NpgsqlCommand command, ProductInput input, string slug)
    {
        command.Parameters.AddWithValue("slug", slug);
        command.Parameters.AddWithValue("name", input.Name!);
        command.Parameters.AddWithValue("description", input.Description ?? "");
        command.Parameters.AddWithValue("price", input.PriceAmount!.Value);
        command.Parameters.AddWithValue("currency", input.Currency!);
        command.Parameters.AddWithValue("category", input.CategoryId!.Value);
        command.Parameters.AddWithValue("images", (input.ImageUrls ?? []).ToArray());
        command.Parameters.Add(new NpgsqlParameter("featured", NpgsqlDbType.Integer) { Value = (object?)input.FeaturedRank ?? DBNull.Value });
    }

    private static async Task<ProductOutput> ReadOneProductAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return ReadProduct(reader, null);
    }

    private static ProductOutput ReadProduct(NpgsqlDataReader r, long? publishId) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetDecimal(4), r.GetString(5), r.GetInt64(6), r.GetFieldValue<string[]>(7),
        r.IsDBNull(8) ? null : r.GetInt32(8), r.GetInt64(9), publishId);

    private static CategoryOutput ReadCategory(NpgsqlDataReader r, long? publishId) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.GetInt32(4), r.GetInt64(5), publishId);
}
