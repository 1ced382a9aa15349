using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Static.Shared.Outbox;

namespace Static.Shared.Publishes;

public static class PublishRecordsServiceCollectionExtensions
{
    /// <summary>
    /// The <see cref="OutboxStore"/> and the <see cref="PublishesStore"/> over the container's
    /// <c>NpgsqlDataSource</c> (the publisher's one database). The Api, whose default data source may be a
    /// read replica, builds them over the primary where it writes or needs the latest rows.
    /// </summary>
    public static IServiceCollection AddPublishRecords(this IServiceCollection services)
    {
        services.TryAddSingleton<OutboxStore>();
        services.TryAddSingleton<PublishesStore>();
        return services;
    }
}
