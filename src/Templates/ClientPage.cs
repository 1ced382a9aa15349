using Static.Shared.Artifacts;

namespace Static.Templates;

/// <summary>
/// What the <c>_Client</c> partial renders into a page's head for the browser module: the stable path of the
/// page's data (the manifest entry it verifies and updates the page from), the page kind, and the client settings.
/// </summary>
public sealed record ClientPage(SiteInfo Site, string Kind, ArtifactPath Data)
{
    public string Shard => Site.Client.ShardOf(Data);
}
