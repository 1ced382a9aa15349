using System.Globalization;
using Static.Shared.Configuration;

namespace Static.Api.Health;

/// <summary>Marks an endpoint that answers on the management port only (<see cref="ManagementPort"/>).</summary>
internal sealed class ManagementEndpoint
{
    public static ManagementEndpoint Instance { get; } = new();

    private ManagementEndpoint()
    {
    }
}

/// <summary>
/// The port that alone answers <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c> and <c>/openapi/v1.json</c>
/// (setting <c>Static:Management:Url</c>, variable <c>Static__Management__Url</c>, default
/// <c>http://127.0.0.1:56090</c>: loopback). The public port answers 404 for them and the management port 404 for
/// everything else, so nothing the edge forwards can reach them, whatever path or Host header a viewer sends: the
/// check is on the port the connection arrived on, not on the Host header (which <c>RequireHost</c> trusts).
/// </summary>
internal sealed record ManagementPort(Uri Url)
{
    public const string Setting = "Static:Management:Url";
    public const string DefaultUrl = "http://127.0.0.1:56090";

    public int Port => Url.Port;

    public static ManagementPort FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var text = configuration[Setting] is { Length: > 0 } set ? set : DefaultUrl;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttp || url.AbsolutePath != "/"
            || !url.IsDefaultPort && url.Port is < 1 or > 65535 || text.EndsWith(":0", StringComparison.Ordinal))
        {
            throw new ConfigException($"{Setting}: '{text}' is not an http URL with a host and a fixed port, such as {DefaultUrl}.");
        }

        return new ManagementPort(url);
    }

    /// <summary>
    /// What Kestrel listens on: the public URLs the host was given (<c>ASPNETCORE_URLS</c>, <c>--urls</c>,
    /// <c>ASPNETCORE_HTTP_PORTS</c>; ASP.NET Core's default otherwise) and the management URL.
    /// </summary>
    public string[] ListenUrls(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var urls = configuration["urls"] is { Length: > 0 } given
            ? given.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : configuration["http_ports"] is { Length: > 0 } ports
                ? ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => "http://*:" + p).ToArray()
                : ["http://localhost:5000"];
        foreach (var url in urls)
        {
            var colon = url.LastIndexOf(':');
            if (colon > 0 && int.TryParse(url.AsSpan(colon + 1).TrimEnd('/'), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port == Port)
            {
                throw new ConfigException($"{Setting}: port {Port} is also a public URL ({url}); give the management endpoints a port of their own.");
            }
        }

        return [.. urls, Url.GetLeftPart(UriPartial.Authority)];
    }
}

internal static class ManagementEndpoints
{
    /// <summary>Health, readiness, metrics and the OpenAPI document, on the management port only.</summary>
    public static IEndpointRouteBuilder MapManagementEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthEndpoints().WithMetadata(ManagementEndpoint.Instance);
        app.MapOpenApi().WithMetadata(ManagementEndpoint.Instance);
        app.MapPrometheusScrapingEndpoint().WithMetadata(ManagementEndpoint.Instance);
        return app;
    }

    /// <summary>
    /// 404 for a management endpoint on any other port, and for anything else on the management port. Runs after
    /// routing (which WebApplication puts first), so the matched endpoint's metadata decides, not a path list.
    /// </summary>
    public static IApplicationBuilder UseManagementPort(this IApplicationBuilder app, ManagementPort management)
    {
        ArgumentNullException.ThrowIfNull(management);
        return app.Use((context, next) =>
        {
            var isManagement = context.GetEndpoint()?.Metadata.GetMetadata<ManagementEndpoint>() is not null;
            if (isManagement == (context.Connection.LocalPort == management.Port))
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
    }
}
