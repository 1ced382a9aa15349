using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Static.Api.Admin;

internal static class AdminServiceCollectionExtensions
{
    /// <summary>The admin API's services: the store, the eviction after a commit, publish status and the bearer tokens.</summary>
    public static IServiceCollection AddAdmin(this IServiceCollection services, AdminTokens tokens)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AdminStore>();
        services.TryAddSingleton<AdminCacheEviction>();
        services.TryAddSingleton<PublishStatusReader>();
        services.AddAdminAuthentication(tokens);
        return services;
    }
}
