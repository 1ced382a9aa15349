using System.Reflection;
using System.Runtime.CompilerServices;
using Static.Publisher.Publishing;
using Static.Shared.Artifacts;
using Static.Shared.Manifests;

namespace Static.Micro;

/// <summary>
/// The internal code the diffs run, called as it is. The publisher and the client keep their diff logic
/// <c>internal</c> (InternalsVisibleTo names only the test projects) and src/ is not changed for a benchmark, so the
/// calls go through .NET 10's <see cref="UnsafeAccessorAttribute"/> with <see cref="UnsafeAccessorTypeAttribute"/>
/// naming the types this assembly cannot see: the runtime binds each to the real method, a direct call with no
/// reflection on the measured path. Objects of those types travel as <see cref="object"/>; the set-up builds them by
/// reflection.
/// </summary>
internal static class Internals
{
    private const string RenderedItem = "Static.Publisher.Publishing.RenderedItem, publisher";
    private const string RenderedItemList = "System.Collections.Generic.List`1[[" + RenderedItem + "]]";
    private const string RenderedItemReadOnlyList = "System.Collections.Generic.IReadOnlyList`1[[" + RenderedItem + "]]";

    /// <summary>
    /// <c>new RenderedItem(...)</c>: one rendered artifact as the render step describes it. Built by reflection (set-up
    /// only, never measured), its constructor's parameters matched by name, so that a parameter added or dropped there
    /// fails here with its name rather than as a missing method.
    /// </summary>
    public static object NewRenderedItem(ArtifactPath artifact, byte[] body, string sha256, string headersHash, string cacheControl, string shard, string[] dependencyKeys)
    {
        var constructor = Type.GetType(RenderedItem, throwOnError: true)!.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Single();
        var arguments = constructor.GetParameters().Select(p => p.Name switch
        {
            "artifact" => artifact,
            "body" => body,
            "sha256" => sha256,
            "headersHash" => headersHash,
            "cacheControl" => cacheControl,
            "shard" => shard,
            "dependencyKeys" => dependencyKeys,
            "surrogateKeys" => (object)"",
            _ => throw new InvalidOperationException($"RenderedItem's constructor has a parameter the benchmark does not know: {p.Name}"),
        }).ToArray();
        return constructor.Invoke(arguments);
    }

    /// <summary>A <c>List&lt;RenderedItem&gt;</c> of the given items (the render step's result).</summary>
    public static object RenderedItems(IEnumerable<object> items)
    {
        var list = (System.Collections.IList)Activator.CreateInstance(Type.GetType(RenderedItemList, throwOnError: true)!)!;
        foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary><c>ArtifactDiff.Changed(rendered, live)</c>: returns the <c>List&lt;RenderedItem&gt;</c> of changed artifacts.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "Changed")]
    [return: UnsafeAccessorType(RenderedItemList)]
    public static extern object ArtifactDiffChanged(
        [UnsafeAccessorType("Static.Publisher.Publishing.ArtifactDiff, publisher")] object? type,
        [UnsafeAccessorType(RenderedItemReadOnlyList)] object rendered,
        LiveState live);

    /// <summary><c>ManifestLogic.ChangedPaths(before, after)</c>: the client's diff of two versions of a shard.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "ChangedPaths")]
    public static extern IEnumerable<string> ManifestLogicChangedPaths(
        [UnsafeAccessorType("Static.Client.ManifestLogic, Static.Client")] object? type,
        ManifestShard? before, ManifestShard? after);
}
