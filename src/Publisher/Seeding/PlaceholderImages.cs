using SkiaSharp;
using Static.Shared.Catalog;
using Static.Shared.Manifests;

namespace Static.Publisher.Seeding;

/// <summary>
/// The demo catalog's product images: drawn, not downloaded — a diagonal gradient and a few translucent shapes whose
/// colours and places come from the seed and the category (no fonts, no clock, no global randomness), encoded as
/// 1200 × 900 JPEG. One source per category (at most <see cref="MaxCategorySources"/>, then reused) plus
/// <see cref="Alternates"/> shared ones, so 10,000 products need a few dozen sources and the first publish encodes
/// a few hundred variants, not tens of thousands. The same seed gives the same bytes, so the same SHA-256s.
/// </summary>
public static class PlaceholderImages
{
    public const int Width = 1200;
    public const int Height = 900;
    public const int MaxCategorySources = 48;
    public const int Alternates = 8;
    private const int Quality = 88;

    /// <summary>The sources for <paramref name="categories"/> categories: category ones first, then the alternates.</summary>
    public static IReadOnlyList<ImageSource> Generate(int seed, int categories)
    {
        var count = Math.Min(Math.Max(categories, 1), MaxCategorySources);
        return [.. Enumerable.Range(0, count + Alternates).Select(i => Draw(seed, i))];
    }

    /// <summary>A product's images: its category's source first, then <paramref name="count"/> − 1 alternates picked by its id.</summary>
    public static IReadOnlyList<ProductImage> ForProduct(IReadOnlyList<ImageSource> sources, long productId, long categoryId, int count)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var categorySources = sources.Count - Alternates;
        var list = new List<ProductImage> { Image(sources[(int)((categoryId - 1) % categorySources)]) };
        for (var n = 1; n < count; n++)
        {
            list.Add(Image(sources[categorySources + (int)(((productId * 3) + n) % Alternates)]));
        }

        return list;
    }

    private static ProductImage Image(ImageSource source) => new(source.Sha256, source.Width, source.Height);

    /// <summary>One placeholder: deterministic for (<paramref name="seed"/>, <paramref name="index"/>).</summary>
    public static ImageSource Draw(int seed, int index)
    {
        // System.Random with a seed is the framework's stable legacy generator: the same numbers on every run.
        var random = new Random(HashCode.Combine(0x5EED, seed) ^ (index * 7919));
        var hue = (index * 47 % 360) + random.Next(0, 20);
        var from = SKColor.FromHsl(hue % 360, 55 + random.Next(0, 25), 55 + random.Next(0, 15));
        var to = SKColor.FromHsl((hue + 40 + random.Next(0, 60)) % 360, 50 + random.Next(0, 30), 30 + random.Next(0, 20));

        var info = new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul, SKColorSpace.CreateSrgb());
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var background = new SKPaint();
            background.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(Width, Height), [from, to], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, Width, Height, background);

            using var shape = new SKPaint { IsAntialias = true };
            for (var i = 0; i < 5; i++)
            {
                shape.Color = new SKColor(255, 255, 255, (byte)random.Next(30, 90));
                float x = random.Next(0, Width), y = random.Next(0, Height), r = random.Next(60, 260);
                if (random.Next(0, 2) == 0)
                {
                    canvas.DrawCircle(x, y, r, shape);
                }
                else
                {
                    canvas.DrawRoundRect(new SKRect(x - r, y - (r * 0.7f), x + r, y + (r * 0.7f)), 36, 36, shape);
                }
            }

            // A product-ish silhouette in the middle: a rounded box on a soft shadow.
            shape.Color = new SKColor(0, 0, 0, 40);
            canvas.DrawRoundRect(new SKRect(430, 300, 790, 680), 40, 40, shape);
            shape.Color = new SKColor(255, 255, 255, 210);
            canvas.DrawRoundRect(new SKRect(410, 270, 770, 650), 40, 40, shape);
            shape.Color = from;
            canvas.DrawCircle(590, 460, 90, shape);
        }

        using var jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, Quality);
        var bytes = jpeg.ToArray();
        return new ImageSource(ContentHash.Sha256(bytes), "image/jpeg", Width, Height, bytes);
    }
}
