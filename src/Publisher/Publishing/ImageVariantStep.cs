using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Static.Publisher.Stores;
using Static.Shared.Catalog;
using Static.Shared.Configuration;
using Static.Shared.Images;
using Static.Templates.Images;

namespace Static.Publisher.Publishing;

/// <summary>
/// Before any page goes up, makes sure every variant the run's changed pages reference is in the store: plans each
/// referenced source's variants (<see cref="ImagePipeline"/>), skips those recorded in <c>image_variants</c>, and
/// renders the rest from <c>image_sources</c> (one decode per source, in parallel), uploads them immutable
/// (<c>publish.cacheControl.immutable</c>, <c>image/webp</c> or <c>image/jpeg</c>) and records each. A variant is
/// thus encoded and uploaded once, whatever publishes follow; a changed image is a new source and only its variants
/// are new.
/// </summary>
internal sealed class ImageVariantStep(PublishConfig config, ImageStore images, IObjectStore store, ILogger logger)
{
    /// <summary>Ensures the variants of <paramref name="referenced"/>; returns the variants uploaded and their bytes.</summary>
    public async Task<(int Uploaded, long Bytes)> EnsureAsync(
        IEnumerable<ProductImage> referenced, ConcurrentBag<string> written, IProgress<PublishProgress>? progress, CancellationToken cancellationToken)
    {
        var pipeline = ImagePipeline.From(config.Images);
        var sources = referenced.DistinctBy(i => i.Sha256).ToList();
        if (sources.Count == 0)
        {
            return (0, 0);
        }

        var planned = sources.ToDictionary(s => s.Sha256, pipeline.Variants, StringComparer.Ordinal);
        var recorded = await images.RecordedVariantsAsync([.. planned.Values.SelectMany(v => v).Select(v => v.Key)], cancellationToken).ConfigureAwait(false);
        var missing = planned.Select(p => (Sha: p.Key, Variants: (IReadOnlyList<ImageVariant>)p.Value.Where(v => !recorded.Contains(v.Key)).ToList()))
            .Where(p => p.Variants.Count > 0).ToList();
        if (missing.Count == 0)
        {
            return (0, 0);
        }

        var watch = Stopwatch.StartNew();
        var total = missing.Sum(m => m.Variants.Count);
        var done = 0;
        long bytes = 0;
        var parallelism = config.Publish.RenderParallelism > 0 ? config.Publish.RenderParallelism : Environment.ProcessorCount;
        progress?.Report(new PublishProgress("encoding image variants", 0, total));
        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (source, ct) =>
        {
            var stored = await images.GetSourceAsync(source.Sha, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Image source {source.Sha} is referenced by a product but not stored (image_sources).");
            foreach (var (variant, body) in ImageCodec.Render(stored.Bytes, source.Variants, pipeline))
            {
                await store.PutAsync(new ObjectToPut(variant.Key, body, variant.ContentType, config.Publish.CacheControl.Immutable,
                    new Dictionary<string, string> { ["source-sha256"] = source.Sha }, ContentAddressed: true), ct).ConfigureAwait(false);
                await images.RecordVariantAsync(variant.Key, source.Sha, body.Length, ct).ConfigureAwait(false);
                written.Add(variant.Key);
                Interlocked.Add(ref bytes, body.Length);
                var n = Interlocked.Increment(ref done);
                if ((n & 63) == 0 || n == total)
                {
                    progress?.Report(new PublishProgress("encoding image variants", n, total));
                }
            }
        }).ConfigureAwait(false);
        PublishLog.ImageVariants(logger, total, missing.Count, bytes / 1024, watch.Elapsed.TotalSeconds);
        return (total, bytes);
    }
}
