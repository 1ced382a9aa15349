using Microsoft.AspNetCore.Cors.Infrastructure;
using Static.Shared.Configuration;

namespace Static.Api.Artifacts;

/// <summary>
/// CORS for the read routes (GET, HEAD and their preflight), from <c>cors</c> in publish-config.json: any
/// origin answered <c>*</c>, or a list of origins reflected with <c>Vary: Origin</c>. Applied to the artifact
/// group only (<see cref="ArtifactEndpoints"/>); <c>/admin</c> never answers a cross-origin request.
/// </summary>
internal static class ReadCors
{
    public const string Policy = "reads";

    public static IServiceCollection AddReadCors(this IServiceCollection services)
    {
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<PublishConfig>((options, config) => options.AddPolicy(Policy, policy =>
        {
            if (config.Cors.AnyOrigin())
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                // A predicate rather than WithOrigins: the answer then always carries Vary: Origin (with one
                // listed origin, WithOrigins alone would not), so no cache serves one origin's answer to another.
                var allowed = config.Cors.AllowedOrigins.ToHashSet(StringComparer.OrdinalIgnoreCase);
                policy.SetIsOriginAllowed(allowed.Contains);
            }

            policy.WithMethods("GET", "HEAD").AllowAnyHeader().WithExposedHeaders("ETag").SetPreflightMaxAge(config.Cors.MaxAge);
        }));
        return services;
    }
}
