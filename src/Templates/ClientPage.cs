using Static.Shared.Artifacts;

namespace Static.Templates;

/// <summary>
/// What the <c>_Client</c> partial renders into a page's head for the browser module: the stable path of the
/// page's data (the manifest entry it verifies and updates the page from), the page kind, and the client settings.
/// </summary>
/// <remarks><see cref="Data"/> is null on a page that is not published (a listing's page 2 and on): the module then
/// only fills stock and keeps the Service Worker's registration as configured; it has nothing to verify.</remarks>
public sealed record ClientPage(SiteInfo Site, string Kind, ArtifactPath? Data)
{
    public string? Shard => Data is null ? null : Site.Client.ShardOf(Data);
}
