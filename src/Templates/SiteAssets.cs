using System.Collections.Frozen;
using Static.Shared.Artifacts;
using Static.Shared.Manifests;

namespace Static.Templates;

/// <summary>
/// The asset pipeline: every file under src/Templates/assets is embedded in this assembly, published at its
/// stable path (<c>/sw.js</c>, or <c>/_assets/{name}</c>) and, content-addressed, at <c>/_immutable/{sha256}{ext}</c>,
/// and recorded in the manifest's <c>assets</c> shard like any artifact. Templates reference the immutable URL
/// (<see cref="Url"/>) with its Subresource Integrity hash (<see cref="Integrity"/>), so a changed asset is a new
/// URL in re-rendered pages and never needs an invalidation of its own. Styles and images join by being added to
/// the folder.
/// </summary>
public static class SiteAssets
{
    private const string ResourcePrefix = "Static.Templates.Assets.";

    private static readonly FrozenDictionary<string, Asset> ByName = Load();

    /// <summary>Every asset, by name.</summary>
    public static IReadOnlyCollection<Asset> All => ByName.Values;

    /// <summary>The immutable URL of an asset (<c>/_immutable/{sha256}.js</c>): what pages reference.</summary>
    public static string Url(string name) => Get(name).ImmutableUrl;

    /// <summary>The Subresource Integrity value of an asset (<c>sha256-…</c>).</summary>
    public static string Integrity(string name) => Get(name).Integrity;

    public static bool Contains(ArtifactPath path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.Slug is { } name && ByName.TryGetValue(name, out var asset) && asset.Path == path;
    }

    public static Asset Get(string name) =>
        ByName.TryGetValue(name, out var asset) ? asset : throw new ArgumentException($"No asset named '{name}' is embedded (src/Templates/assets).", nameof(name));

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(SiteAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..];
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            var path = ArtifactPath.Asset(name);
            var sha = ContentHash.Sha256(bytes);
            assets[name] = new Asset(name, path, bytes, sha, "/" + ObjectKeys.Immutable(sha, path.Extension),
                "sha256-" + Convert.ToBase64String(Convert.FromHexString(sha)));
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>One embedded asset: its stable path, bytes and content address.</summary>
    public sealed record Asset(string Name, ArtifactPath Path, byte[] Body, string Sha256, string ImmutableUrl, string Integrity);
}
