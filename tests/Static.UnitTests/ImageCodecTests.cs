using SkiaSharp;
using Static.Shared.Catalog;
using Static.Shared.Images;
using Static.Templates.Images;

namespace Static.UnitTests;

/// <summary>Upload validation (magic bytes and a whole decode, sizes) and variant rendering.</summary>
public sealed class ImageCodecTests
{
    private static readonly ImageLimits Limits = new(1024 * 1024, 64, 2000);

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg, "image/jpeg")]
    [InlineData(SKEncodedImageFormat.Png, "image/png")]
    [InlineData(SKEncodedImageFormat.Webp, "image/webp")]
    public void Jpeg_png_and_webp_are_accepted_with_their_size(SKEncodedImageFormat format, string type)
    {
        var bytes = Draw(300, 200, format);
        Assert.Equal(type, ImageCodec.SniffContentType(bytes));
        var inspection = ImageCodec.Inspect(bytes, Limits);
        Assert.True(inspection.Valid, inspection.Error);
        Assert.Equal((type, 300, 200), (inspection.ContentType, inspection.Width, inspection.Height));
    }

    [Fact]
    public void Anything_else_is_refused_with_the_reason()
    {
        var png = Draw(300, 200, SKEncodedImageFormat.Png);
        Assert.Contains("empty", Refusal([]), StringComparison.Ordinal);
        Assert.Contains("not a JPEG, PNG or WebP", Refusal("GIF89a............"u8.ToArray()), StringComparison.Ordinal);
        Assert.Contains("not a JPEG, PNG or WebP", Refusal("<svg xmlns='http://www.w3.org/2000/svg'/>"u8.ToArray()), StringComparison.Ordinal);
        Assert.Contains("does not decode", Refusal([.. png[..8], .. new byte[200]]), StringComparison.Ordinal);
        Assert.Contains("damaged or incomplete", Refusal(png[..(png.Length * 2 / 3)]), StringComparison.Ordinal);
        Assert.Contains("does not decode", Refusal([0xFF, 0xD8, 0xFF, .. png]), StringComparison.Ordinal);   // JPEG magic, PNG inside
        Assert.Contains("32 × 300", Refusal(Draw(32, 300, SKEncodedImageFormat.Png)), StringComparison.Ordinal);
        Assert.Contains("2100 × 100", Refusal(Draw(2100, 100, SKEncodedImageFormat.Jpeg)), StringComparison.Ordinal);
        Assert.Contains("images.maxFileBytes", ImageCodec.Inspect(new byte[Limits.MaxBytes + 1], Limits).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Variants_have_the_planned_sizes_and_formats_and_the_same_bytes_every_time()
    {
        var source = Draw(1000, 500, SKEncodedImageFormat.Png, transparent: true);
        var pipeline = ImagePipeline.Default;
        var variants = pipeline.Variants(new ProductImage("ab", 1000, 500));
        var first = ImageCodec.Render(source, variants, pipeline);
        var second = ImageCodec.Render(source, variants, pipeline);
        Assert.Equal(first.Select(v => v.Bytes), second.Select(v => v.Bytes));
        foreach (var (variant, bytes) in first)
        {
            using var codec = SKCodec.Create(new SKMemoryStream(bytes));
            Assert.Equal(variant.Format == VariantFormat.Webp ? SKEncodedImageFormat.Webp : SKEncodedImageFormat.Jpeg, codec.EncodedFormat);
            Assert.Equal((variant.Width, variant.Height), (codec.Info.Width, codec.Info.Height));
        }

        // A transparent source's JPEG is flattened onto white, not black.
        using var jpeg = SKBitmap.Decode(first.First(v => v.Variant.Format == VariantFormat.Jpeg).Bytes);
        var corner = jpeg.GetPixel(1, 1);
        Assert.True(corner.Red > 240 && corner.Green > 240 && corner.Blue > 240, corner.ToString());
    }

    private static string Refusal(byte[] bytes)
    {
        var inspection = ImageCodec.Inspect(bytes, Limits);
        Assert.False(inspection.Valid);
        return inspection.Error!;
    }

    private static byte[] Draw(int width, int height, SKEncodedImageFormat format, bool transparent = false)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(transparent ? SKColors.Transparent : SKColors.CornflowerBlue);
            using var paint = new SKPaint { Color = SKColors.Firebrick, IsAntialias = true };
            canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) / 3f, paint);
        }

        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }
}
