using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Static.Shared.Configuration;

public static class PublishConfigServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="PublishConfig"/> through the options pattern: bound from <paramref name="configuration"/> (the
    /// file, the environment and whatever overrides the host layered on top) with unknown keys rejected, and
    /// validated by <see cref="PublishConfigValidator"/> on start, after every override is applied. The bound,
    /// validated value is also registered as <see cref="PublishConfig"/> itself for the services that take it.
    /// </summary>
    public static IServiceCollection AddPublishConfig(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PublishConfig>()
            .Configure(config => PublishConfigBinding.Bind(configuration, config))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PublishConfig>, PublishConfigValidator>());
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<PublishConfig>>().Value);
        return services;
    }

    /// <summary>
    /// The start-up validation the host would run when it starts, run now (before migrations): a
    /// <see cref="ConfigException"/> naming every bad field.
    /// </summary>
    public static void ValidatePublishConfig(this IServiceProvider services)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (OptionsValidationException e)
        {
            throw PublishConfigBinding.Describe(e);
        }
    }
}
