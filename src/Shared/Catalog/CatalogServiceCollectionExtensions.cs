using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace Static.Shared.Catalog;

public static class CatalogServiceCollectionExtensions
{
    /// <summary>One <see cref="NpgsqlDataSource"/> for the catalog, the migration runner and the catalog store.</summary>
    public static IServiceCollection AddCatalogStore(this IServiceCollection services, string connectionString)
    {
        services.TryAddSingleton(_ =>
        {
            var builder = new NpgsqlDataSourceBuilder(connectionString);
            builder.ConnectionStringBuilder.ApplicationName ??= AppDomain.CurrentDomain.FriendlyName;
            return builder.Build();
        });
        services.TryAddSingleton<MigrationRunner>();
        services.TryAddSingleton<CatalogStore>();
        services.TryAddSingleton<ImageStore>();
        services.TryAddSingleton<Artifacts.ArtifactDataReader>();
        return services;
    }
}
