using Static.Shared.Configuration;

namespace Static.Api;

internal static class PublishConfiguration
{
    /// <summary>
    /// publish-config.json (with its <c>STATIC_CONFIG__</c> variables) and, over its <c>api</c> section, the host's
    /// <c>Static:Api</c> settings (command line, <c>Static__Api__*</c> variables, tests): one configuration, bound and
    /// validated once, so an override is checked like the file.
    /// </summary>
    public static IConfiguration ForApi(IConfiguration host)
    {
        var overrides = host.GetSection("Static:Api").AsEnumerable(makePathsRelative: true)
            .Where(kv => kv.Value is not null)
            .Select(kv => KeyValuePair.Create("api:" + kv.Key, kv.Value));
        return new ConfigurationBuilder()
            .AddConfiguration(PublishConfigLoader.Build(PublishConfigLoader.Locate()))
            .AddInMemoryCollection(overrides)
            .Build();
    }
}
