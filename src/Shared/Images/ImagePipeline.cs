using System.Globalization;
using System.Text.RegularExpressions;
using Static.Shared.Catalog;
using Static.Shared.Configuration;

namespace Static.Shared.Images;

/// <summary>The encodings a variant is published in: WebP for browsers that take it, JPEG as the fallback.</summary>
public enum VariantFormat
{
    Webp,
    Jpeg,
}

/// <summary>One published variant of a source image: its size, format and content-addressed store key.</summary>
public sealed record ImageVariant(string SourceSha256, int Width, int Height, VariantFormat Format, string Key)
{
    /// <summary>The URL pages reference: the key with a leading slash.</summary>
    public string Url => "/" + Key;

    public string ContentType => Format == VariantFormat.Webp ? "image/webp" : "image/jpeg";
}

/// <summary>
/// The product-image pipeline's naming and sizing rules (no pixels here: src/Templates/Images encodes). A variant's
/// URL is <c>/_immutable/img/{token}/{sourceSha256}-{width}.{webp|jpg}</c>: named by the source's bytes and by the
/// pipeline token (<see cref="Version"/> and the qualities), never by the variant's own bytes, so a page can be
/// rendered — URLs, width and height — without encoding anything, and the same source under the same pipeline is
/// always the same URL (immutable, uploaded once). Widths are <see cref="Widths"/> below the source's width plus the
/// source's own width when it is narrower than the largest: never upscaled, aspect ratio kept.
/// </summary>
public sealed partial record ImagePipeline(IReadOnlyList<int> Widths, int WebpQuality, int JpegQuality)
{
    /// <summary>Bump when the encoding code changes its output: every variant then gets a new URL.</summary>
    public const int Version = 1;

    /// <summary>Where variants live in the store (garbage collection leaves this prefix alone).</summary>
    public const string KeyPrefix = "_immutable/img/";

    public static ImagePipeline Default { get; } = new([320, 640, 960], 80, 82);

    public static ImagePipeline From(ImagesSection images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return new([.. images.EffectiveWidths()], images.WebpQuality, images.JpegQuality);
    }

    /// <summary>The pipeline token in every variant URL, e.g. <c>v1-q80-82</c>.</summary>
    public string Token => string.Create(CultureInfo.InvariantCulture, $"v{Version}-q{WebpQuality}-{JpegQuality}");

    /// <summary>The widths and heights of a source's variants, ascending.</summary>
    public IReadOnlyList<(int Width, int Height)> Sizes(int sourceWidth, int sourceHeight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceHeight, 1);
        var widths = Widths.Where(w => w < sourceWidth).ToList();
        if (Widths.Count == 0 || sourceWidth <= Widths[^1])
        {
            widths.Add(sourceWidth);
        }

        return widths.Select(w => (w, HeightAt(w, sourceWidth, sourceHeight))).ToList();
    }

    /// <summary>The height of a variant <paramref name="width"/> wide (aspect ratio kept, at least 1).</summary>
    public static int HeightAt(int width, int sourceWidth, int sourceHeight) =>
        Math.Max(1, (int)Math.Round((double)sourceHeight * width / sourceWidth, MidpointRounding.AwayFromZero));

    /// <summary>Every variant of <paramref name="image"/>: each size in WebP and JPEG.</summary>
    public IReadOnlyList<ImageVariant> Variants(ProductImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return [.. Sizes(image.Width, image.Height).SelectMany(s => new[] { Variant(image.Sha256, s, VariantFormat.Webp), Variant(image.Sha256, s, VariantFormat.Jpeg) })];
    }

    /// <summary>The <c>srcset</c> of one format: <c>/…-320.webp 320w, /…-640.webp 640w</c>.</summary>
    public string Srcset(ProductImage image, VariantFormat format)
    {
        ArgumentNullException.ThrowIfNull(image);
        return string.Join(", ", Sizes(image.Width, image.Height).Select(s => string.Create(CultureInfo.InvariantCulture, $"{Variant(image.Sha256, s, format).Url} {s.Width}w")));
    }

    /// <summary>The JPEG an <c>img</c> falls back to without srcset support: the middle size.</summary>
    public ImageVariant Fallback(ProductImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var sizes = Sizes(image.Width, image.Height);
        return Variant(image.Sha256, sizes[(sizes.Count - 1) / 2], VariantFormat.Jpeg);
    }

    /// <summary>The intrinsic size pages declare (<c>width</c>/<c>height</c> attributes): the largest variant's.</summary>
    public (int Width, int Height) DisplaySize(ProductImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Sizes(image.Width, image.Height)[^1];
    }

    /// <summary>The store key of a variant.</summary>
    public string Key(string sourceSha256, int width, VariantFormat format) =>
        string.Create(CultureInfo.InvariantCulture, $"{KeyPrefix}{Token}/{sourceSha256}-{width}{(format == VariantFormat.Webp ? ".webp" : ".jpg")}");

    /// <summary>
    /// Parses a variant URL (<c>/_immutable/img/{token}/{sha256}-{width}.{webp|jpg}</c>) of this pipeline's token.
    /// Whether the width is one the source has is for the caller to check against <see cref="Sizes"/>.
    /// </summary>
    public bool TryParseUrl(string? path, out string sourceSha256, out int width, out VariantFormat format)
    {
        sourceSha256 = "";
        width = 0;
        format = VariantFormat.Jpeg;
        var match = path is null ? Match.Empty : VariantUrlPattern().Match(path);
        if (!match.Success || match.Groups[1].Value != Token
            || !int.TryParse(match.Groups[3].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out width))
        {
            return false;
        }

        sourceSha256 = match.Groups[2].Value;
        format = match.Groups[4].Value == "webp" ? VariantFormat.Webp : VariantFormat.Jpeg;
        return true;
    }

    private ImageVariant Variant(string sha, (int Width, int Height) size, VariantFormat format) =>
        new(sha, size.Width, size.Height, format, Key(sha, size.Width, format));

    [GeneratedRegex(@"^/_immutable/img/(v[0-9]{1,4}-q[0-9]{1,3}-[0-9]{1,3})/([0-9a-f]{64})-([1-9][0-9]{0,4})\.(webp|jpg)$", RegexOptions.CultureInvariant)]
    private static partial Regex VariantUrlPattern();
}
