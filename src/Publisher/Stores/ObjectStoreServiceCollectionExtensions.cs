using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Static.Shared.Configuration;

namespace Static.Publisher.Stores;

public static class ObjectStoreServiceCollectionExtensions
{
    /// <summary>
    /// The store named by <c>store.kind</c>: S3 at STATIC_S3_SERVICE_URL (AWS itself when unset) with the
    /// bucket from STATIC_S3_BUCKET or <c>store.bucket</c>; or the folder <c>store.folder</c>, relative to the
    /// config file. Registered with TryAdd so a test can put a wrapper in first.
    /// </summary>
    public static IServiceCollection AddObjectStore(this IServiceCollection services, PublishConfig config, StackSettings settings, string configDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(settings);
        services.TryAddSingleton<IObjectStore>(_ => config.Store.Kind switch
        {
            StoreKind.Folder => new FolderObjectStore(Path.Combine(configDirectory, config.Store.Folder)),
            _ => new S3ObjectStore(
                settings.S3ServiceUrl,
                string.IsNullOrWhiteSpace(settings.S3Bucket) ? config.Store.Bucket : settings.S3Bucket,
                settings.S3AccessKey,
                settings.S3SecretKey),
        });
        return services;
    }
}
