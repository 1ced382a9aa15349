using Static.Shared.Catalog;
using Static.Shared.Images;

namespace Static.Templates;

/// <summary>
/// What the <c>_Picture</c> partial renders: one product image as a <c>&lt;picture&gt;</c> with a WebP
/// <c>&lt;source&gt;</c> and a JPEG <c>&lt;img&gt;</c> fallback, both with srcset and sizes, the intrinsic width and
/// height (no layout shift), the alt text, and eager or lazy loading. static.js builds listing items with the same
/// markup from the JSON (<see cref="Json.ImageDocument"/>), attribute for attribute.
/// </summary>
public sealed record PictureModel(ProductImage Image, string Alt, string Sizes, bool Lazy, bool HighPriority, ImagePipeline Pipeline)
{
    /// <summary>Listing thumbnails shown before any lazy one: about the first row of the grid.</summary>
    public const int EagerThumbnails = 4;

    /// <summary>The <c>sizes</c> of listing thumbnails (one column up to 30rem, two up to 48rem, then cards of about 17rem).</summary>
    public const string ThumbnailSizes = "(max-width: 30rem) calc(100vw - 3.5rem), (max-width: 48rem) calc(50vw - 2.5rem), 17rem";

    /// <summary>The <c>sizes</c> of a product page's main image.</summary>
    public const string MainSizes = "(max-width: 42rem) calc(100vw - 2rem), 40rem";

    /// <summary>The <c>sizes</c> of a product page's further images.</summary>
    public const string MoreSizes = "(max-width: 42rem) calc(33vw - 1.5rem), 13rem";

    public string WebpSrcset => Pipeline.Srcset(Image, VariantFormat.Webp);

    public string JpegSrcset => Pipeline.Srcset(Image, VariantFormat.Jpeg);

    public string Src => Pipeline.Fallback(Image).Url;

    public int Width => Pipeline.DisplaySize(Image).Width;

    public int Height => Pipeline.DisplaySize(Image).Height;

    public string Loading => Lazy ? "lazy" : "eager";

    /// <summary>A listing thumbnail: eager for about the first row, lazy below.</summary>
    public static PictureModel Thumbnail(Product product, int index, ImagePipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(product);
        return new(product.Images[0], product.Name, ThumbnailSizes, index >= EagerThumbnails, false, pipeline);
    }
}
