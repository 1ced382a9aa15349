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
        var headers = new Headers(SecurityHeaders.ContentSecurityPolicy(config));
        // One callback for the app, the response as its state: nothing allocated per request but the registration.
        Func<object, Task> onStarting = headers.Apply;
        return app.Use((context, next) =>
        {
            context.Response.OnStarting(onStarting, context.Response);
            return next(context);
        });
    }

    private sealed class Headers(string policy)
    {
        public Task Apply(object state)
        {
            var response = (HttpResponse)state;
            response.Headers.XContentTypeOptions = SecurityHeaders.ContentTypeOptions;
            if (SecurityHeaders.IsPage(response.ContentType))
            {
                response.Headers.ContentSecurityPolicy = policy;
                response.Headers["Referrer-Policy"] = SecurityHeaders.ReferrerPolicy;
            }

            return Task.CompletedTask;
        }
    }
}
