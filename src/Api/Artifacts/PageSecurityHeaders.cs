using Static.Shared.Configuration;

namespace Static.Api.Artifacts;

/// <summary>
/// The Api's share of the site's security headers (<see cref="SecurityHeaders"/>): <c>X-Content-Type-Options: nosniff</c>
/// on every answer, and the Content-Security-Policy and Referrer-Policy on HTML (listing pages 2 and on, the 404 page,
/// any page the edge falls back for). The edge sets the same ones; both come from publish-config.json.
/// </summary>
internal static class PageSecurityHeaders
{
    public static IApplicationBuilder UsePageSecurityHeaders(this IApplicationBuilder app, PublishConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var policy = SecurityHeaders.ContentSecurityPolicy(config);
        return app.Use((context, next) =>
        {
            var response = context.Response;
            response.OnStarting(() =>
            {
                response.Headers.XContentTypeOptions = SecurityHeaders.ContentTypeOptions;
                if (SecurityHeaders.IsPage(response.ContentType))
                {
                    response.Headers.ContentSecurityPolicy = policy;
                    response.Headers["Referrer-Policy"] = SecurityHeaders.ReferrerPolicy;
                }

                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
