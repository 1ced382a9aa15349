using SkiaSharp;
using Static.Shared.Images;

namespace Static.Templates.Images;

/// <summary>What an upload's bytes are, or why they are refused.</summary>
public sealed record ImageInspection(string? ContentType, int Width, int Height, string? Error)
{
    public bool Valid => Error is null;
}

/// <summary>The bounds an uploaded source must fit (publish-config.json <c>images</c>).</summary>
public sealed record ImageLimits(int MaxBytes, int MinDimension, int MaxDimension);

/// <summary>
/// The pixels side of the image pipeline, on SkiaSharp: recognises JPEG, PNG and WebP by their magic bytes and then
/// by decoding them whole, and renders a source's variants (EXIF orientation applied, colours converted to sRGB,
/// downscaled in halving steps and then with a Mitchell cubic filter, JPEG flattened onto white). Deterministic:
/// the same source and pipeline give the same bytes (with the same SkiaSharp build), which is what lets the Api
/// render a missing variant on demand with the bytes the publisher uploads.
/// </summary>
public static class ImageCodec
{
    private static readonly SKSamplingOptions Halving = new(SKFilterMode.Linear, SKMipmapMode.None);
    private static readonly SKSamplingOptions Final = new(SKCubicResampler.Mitchell);

    /// <summary>The content type the magic bytes announce, or null: JPEG (FF D8 FF), PNG (\x89PNG\r\n\x1a\n), WebP (RIFF….WEBP).</summary>
    public static string? SniffContentType(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
        {
            return "image/jpeg";
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return "image/png";
        }

        return bytes.Length >= 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8) ? "image/webp" : null;
    }

    /// <summary>
    /// Checks an upload: size, magic bytes, a decoder that agrees with them, dimensions (after EXIF orientation)
    /// within the limits — read from the header before any pixel is decoded — and a complete decode.
    /// </summary>
    public static ImageInspection Inspect(byte[] bytes, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(limits);
        if (bytes.Length == 0)
        {
            return Refused("the file is empty");
        }

        if (bytes.Length > limits.MaxBytes)
        {
            return Refused($"the file has {bytes.Length:N0} bytes; at most {limits.MaxBytes:N0} are accepted (images.maxFileBytes)");
        }

        var sniffed = SniffContentType(bytes);
        if (sniffed is null)
        {
            return Refused("not a JPEG, PNG or WebP image (by its first bytes)");
        }

        using var codec = SKCodec.Create(new SKMemoryStream(bytes));
        if (codec is null || ContentTypeOf(codec.EncodedFormat) != sniffed)
        {
            return Refused($"starts like {sniffed} but does not decode as one");
        }

        var (width, height) = Oriented(codec.Info.Width, codec.Info.Height, codec.EncodedOrigin);
        if (width < limits.MinDimension || height < limits.MinDimension || width > limits.MaxDimension || height > limits.MaxDimension)
        {
            return Refused($"{width} × {height} pixels; each side must be {limits.MinDimension} to {limits.MaxDimension} (images.minDimension, images.maxDimension)");
        }

        using var bitmap = Decode(codec, out var result);
        return bitmap is null
            ? Refused($"the {sniffed} data is damaged or incomplete ({result})")
            : new ImageInspection(sniffed, width, height, null);
    }

    /// <summary>The variants of one source (decoded once), in the order given: variant key → bytes.</summary>
    public static IReadOnlyList<(ImageVariant Variant, byte[] Bytes)> Render(byte[] source, IReadOnlyList<ImageVariant> variants, ImagePipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(variants);
        ArgumentNullException.ThrowIfNull(pipeline);
        using var codec = SKCodec.Create(new SKMemoryStream(source)) ?? throw new InvalidDataException("the image source does not decode");
        using var decoded = Decode(codec, out var result) ?? throw new InvalidDataException($"the image source does not decode ({result})");
        using var oriented = Orient(decoded, codec.EncodedOrigin);
        var output = new List<(ImageVariant, byte[])>(variants.Count);
        foreach (var size in variants.GroupBy(v => (v.Width, v.Height)))
        {
            using var resized = Resize(oriented, size.Key.Width, size.Key.Height);
            foreach (var variant in size)
            {
                output.Add((variant, Encode(resized, variant.Format, pipeline)));
            }
        }

        return output;
    }

    /// <summary>Encodes a bitmap as a variant: WebP keeps transparency; JPEG is flattened onto white.</summary>
    public static byte[] Encode(SKBitmap bitmap, VariantFormat format, ImagePipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        ArgumentNullException.ThrowIfNull(pipeline);
        if (format == VariantFormat.Webp)
        {
            using var webp = bitmap.Encode(SKEncodedImageFormat.Webp, pipeline.WebpQuality);
            return webp.ToArray();
        }

        using var opaque = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Opaque, SKColorSpace.CreateSrgb()));
        using (var canvas = new SKCanvas(opaque))
        {
            canvas.Clear(SKColors.White);
            canvas.DrawBitmap(bitmap, 0, 0);
        }

        using var jpeg = opaque.Encode(SKEncodedImageFormat.Jpeg, pipeline.JpegQuality);
        return jpeg.ToArray();
    }

    private static ImageInspection Refused(string error) => new(null, 0, 0, error);

    private static string? ContentTypeOf(SKEncodedImageFormat format) => format switch
    {
        SKEncodedImageFormat.Jpeg => "image/jpeg",
        SKEncodedImageFormat.Png => "image/png",
        SKEncodedImageFormat.Webp => "image/webp",
        _ => null,
    };

    private static bool Swaps(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    private static (int Width, int Height) Oriented(int width, int height, SKEncodedOrigin origin) => Swaps(origin) ? (height, width) : (width, height);

    /// <summary>Decodes every pixel into sRGB RGBA; null when the data is damaged or truncated.</summary>
    private static SKBitmap? Decode(SKCodec codec, out SKCodecResult result)
    {
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888,
            codec.Info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Premul, SKColorSpace.CreateSrgb());
        var bitmap = new SKBitmap(info);
        result = codec.GetPixels(info, bitmap.GetPixels());
        if (result == SKCodecResult.Success)
        {
            return bitmap;
        }

        bitmap.Dispose();
        return null;
    }

    /// <summary>Applies the EXIF orientation, so that variants stand the way the photo was taken.</summary>
    private static SKBitmap Orient(SKBitmap source, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft)
        {
            return source.Copy();
        }

        var (w, h) = Oriented(source.Width, source.Height, origin);
        var rotated = new SKBitmap(new SKImageInfo(w, h, source.ColorType, source.AlphaType, source.ColorSpace));
        using var canvas = new SKCanvas(rotated);
        switch (origin)
        {
            case SKEncodedOrigin.TopRight: canvas.Translate(w, 0); canvas.Scale(-1, 1); break;
            case SKEncodedOrigin.BottomRight: canvas.Translate(w, h); canvas.RotateDegrees(180); break;
            case SKEncodedOrigin.BottomLeft: canvas.Translate(0, h); canvas.Scale(1, -1); break;
            case SKEncodedOrigin.LeftTop: canvas.RotateDegrees(90); canvas.Scale(1, -1); break;
            case SKEncodedOrigin.RightTop: canvas.Translate(w, 0); canvas.RotateDegrees(90); break;
            case SKEncodedOrigin.RightBottom: canvas.Translate(w, h); canvas.RotateDegrees(-90); canvas.Scale(1, -1); break;
            case SKEncodedOrigin.LeftBottom: canvas.Translate(0, h); canvas.RotateDegrees(-90); break;
        }

        canvas.DrawBitmap(source, 0, 0);
        return rotated;
    }

    /// <summary>Halves with a linear filter while more than twice too large, then a Mitchell cubic to the exact size.</summary>
    private static SKBitmap Resize(SKBitmap source, int width, int height)
    {
        if (source.Width == width && source.Height == height)
        {
            return source.Copy();
        }

        var current = source;
        while (current.Width >= width * 2 && current.Height >= height * 2)
        {
            var half = current.Resize(new SKImageInfo(current.Width / 2, current.Height / 2, current.ColorType, current.AlphaType, current.ColorSpace), Halving);
            if (!ReferenceEquals(current, source))
            {
                current.Dispose();
            }

            current = half;
        }

        var result = current.Resize(new SKImageInfo(width, height, current.ColorType, current.AlphaType, current.ColorSpace), Final);
        if (!ReferenceEquals(current, source))
        {
            current.Dispose();
        }

        return result;
    }
}
