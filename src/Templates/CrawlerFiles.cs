using System.Globalization;
using System.Text;
using System.Xml;
using Static.Shared.Artifacts;

namespace Static.Templates;

/// <summary>
/// robots.txt and the sitemaps (sitemaps.org protocol 0.9), written with <see cref="XmlWriter"/> so every URL is
/// escaped; deterministic like every artifact (no clock: <c>lastmod</c> is when the listed entity last changed).
/// </summary>
internal static class CrawlerFiles
{
    public const string SitemapNamespace = "http://www.sitemaps.org/schemas/sitemap/0.9";

    public static byte[] Robots(RobotsData data) => Encoding.UTF8.GetBytes(string.Join('\n',
        "# Everything published may be crawled; the admin API, live stock and the manifest are not pages.",
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /stock",
        "Disallow: /_manifest/",
        "Allow: /",
        "",
        "Sitemap: " + data.Site.Pages.Absolute(ArtifactPath.SitemapIndexPath),
        ""));

    public static byte[] Index(SitemapIndexData data) => Write(writer =>
    {
        writer.WriteStartElement("sitemapindex", SitemapNamespace);
        foreach (var file in data.Sitemaps)
        {
            writer.WriteStartElement("sitemap", SitemapNamespace);
            writer.WriteElementString("loc", SitemapNamespace, data.Site.Pages.Absolute(file.Path));
            writer.WriteEndElement();
        }

        writer.WriteEndElement();
    });

    public static byte[] Sitemap(SitemapData data) => Write(writer =>
    {
        writer.WriteStartElement("urlset", SitemapNamespace);
        foreach (var url in data.Urls)
        {
            writer.WriteStartElement("url", SitemapNamespace);
            writer.WriteElementString("loc", SitemapNamespace, data.Site.Pages.Absolute(url.Path));
            if (url.LastModified is { } modified)
            {
                writer.WriteElementString("lastmod", SitemapNamespace, modified.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture));
            }

            writer.WriteEndElement();
        }

        writer.WriteEndElement();
    });

    private static byte[] Write(Action<XmlWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, IndentChars = " ", NewLineChars = "\n" }))
        {
            writer.WriteStartDocument();
            body(writer);
            writer.WriteEndDocument();
        }

        return buffer.ToArray();
    }
}
