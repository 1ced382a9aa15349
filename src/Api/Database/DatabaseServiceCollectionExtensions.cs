using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Static.Shared.Catalog;

namespace Static.Api.Database;

internal static class DatabaseServiceCollectionExtensions
{
    /// <summary>
    /// Reads (cache misses) go through the catalog's data source, which may be a replica; admin writes and
    /// migrations always go to the primary (<see cref="PrimaryDatabase"/>), the same data source when there is
    /// no replica.
    /// </summary>
    public static IServiceCollection AddDatabases(this IServiceCollection services, string readDatabase, string primaryDatabase)
    {
        services.AddCatalogStore(readDatabase);
        services.TryAddSingleton(sp => readDatabase == primaryDatabase
            ? new PrimaryDatabase(sp.GetRequiredService<NpgsqlDataSource>(), owned: false)
            : new PrimaryDatabase(NpgsqlDataSource.Create(primaryDatabase), owned: true));
        return services;
    }
}
