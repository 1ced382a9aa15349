using System.Collections;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Static.Shared.Configuration;

/// <summary>Invalid publish-config.json: the message names the file and the field.</summary>
public sealed class ConfigException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Loads publish-config.json, overlaid by environment variables named <c>STATIC_CONFIG__section__field</c>,
/// binds it with unknown keys rejected (<see cref="PublishConfigBinding"/>), and validates every field
/// (<see cref="PublishConfigValidator"/>). Any problem is a
/// <see cref="ConfigException"/> naming the field, raised before anything else starts.
/// </summary>
public static class PublishConfigLoader
{
    public const string FileName = "publish-config.json";
    public const string EnvironmentPrefix = "STATIC_CONFIG__";

    public static PublishConfig Load(string path, IDictionary? environment = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var configuration = Build(path, environment);
        var config = new PublishConfig();
        try
        {
            PublishConfigBinding.Bind(configuration, config);
            PublishConfigBinding.Validate(config);
        }
        catch (ConfigException e)
        {
            throw new ConfigException($"{path}: {e.Message}", e);
        }

        return config;
    }

    /// <summary>
    /// publish-config.json overlaid by the <c>STATIC_CONFIG__</c> variables, not yet bound: hosts add their own
    /// overrides and bind it through the options pattern (<see cref="PublishConfigServiceCollectionExtensions"/>).
    /// </summary>
    public static IConfigurationRoot Build(string path, IDictionary? environment = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new ConfigException($"{path}: file not found (set STATIC_CONFIG_FILE or run from the repository root).");
        }

        // Parse once ourselves first: the JSON provider's errors do not say where, ours do.
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigException($"{path}: the top level must be a JSON object.");
            }
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{path}: not valid JSON ({e.Message})", e);
        }

        var builder = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(path), optional: false, reloadOnChange: false);
        var overrides = EnvironmentOverrides(environment ?? Environment.GetEnvironmentVariables());
        if (overrides.Count > 0)
        {
            builder.AddInMemoryCollection(overrides);
        }

        return builder.Build();
    }

    /// <summary>Finds publish-config.json: STATIC_CONFIG_FILE, else the current folder or the nearest parent holding it.</summary>
    public static string Locate()
    {
        var explicitPath = Environment.GetEnvironmentVariable("STATIC_CONFIG_FILE");
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return explicitPath;
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, FileName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return Path.Combine(Directory.GetCurrentDirectory(), FileName);
    }

    private static Dictionary<string, string?> EnvironmentOverrides(IDictionary environment)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is string key && key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                result[key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = entry.Value?.ToString();
            }
        }

        return result;
    }
}
