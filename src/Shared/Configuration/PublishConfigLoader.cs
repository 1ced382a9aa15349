using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Static.Shared.Configuration;

/// <summary>Invalid publish-config.json: the message names the file and the field.</summary>
public sealed class ConfigException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Loads publish-config.json, overlaid by environment variables named <c>STATIC_CONFIG__section__field</c>,
/// binds it with unknown keys rejected, and validates every field. Any problem is a
/// <see cref="ConfigException"/> naming the field, raised before anything else starts.
/// </summary>
public static class PublishConfigLoader
{
    public const string FileName = "publish-config.json";
    public const string EnvironmentPrefix = "STATIC_CONFIG__";

    public static PublishConfig Load(string path, IDictionary? environment = null)
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

        var configuration = builder.Build();
        var config = new PublishConfig();
        try
        {
            configuration.Bind(config, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigException($"{path}: {DescribeBindError(e)}", e);
        }

        var errors = new List<string>();
        ValidateRecursive(config, prefix: "", errors);
        if (errors.Count > 0)
        {
            throw new ConfigException($"{path}: invalid configuration:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors));
        }

        return config;
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

    private static string DescribeBindError(InvalidOperationException e)
    {
        // The binder's messages name the key, as .NET property paths ("Catalog:ListingPageSize") or, for
        // unknown keys, "...not found on the instance of Namespace.CatalogSection: 'pageSizee'".
        // Turn both into the JSON's dotted camelCase form ("catalog.pageSizee").
        var message = e.Message;
        const string instanceOf = "instance of ";
        var at = message.IndexOf(instanceOf, StringComparison.Ordinal);
        if (message.Contains("ErrorOnUnknownConfiguration", StringComparison.Ordinal) && at >= 0)
        {
            var rest = message[(at + instanceOf.Length)..];
            var colon = rest.IndexOf(':', StringComparison.Ordinal);
            var typeName = colon >= 0 ? rest[..colon] : rest;
            var section = SectionOf(typeName);
            var keys = ExtractQuoted(colon >= 0 ? rest[colon..] : "");
            var fields = keys.Select(k => section.Length > 0 ? $"'{section}.{k}'" : $"'{k}'");
            return $"unknown field {string.Join(", ", fields)} (not a setting of {(section.Length > 0 ? $"'{section}'" : "the top level")}; see README.md, Configuration)";
        }

        if (message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            var quoted = ExtractQuoted(message);
            var value = quoted.Count > 0 ? quoted[0] : "?";
            var field = quoted.Count > 1 ? string.Join('.', quoted[1].Split(':').Select(JsonName)) : "?";
            var target = quoted.Count > 2 ? quoted[2] : "?";
            target = target[(target.LastIndexOf('.') + 1)..];
            var expected = target switch
            {
                "Int32" or "Int64" => "a whole number",
                "Boolean" => "true or false",
                "TimeSpan" => "a duration such as 00:00:30",
                nameof(StoreKind) => "one of " + string.Join(", ", Enum.GetNames<StoreKind>().Select(n => n.ToLowerInvariant())),
                _ => "a valid " + target,
            };
            return $"field '{field}' has value '{value}', which is not {expected}";
        }

        return message;
    }

    private static string SectionOf(string typeName)
    {
        var shortName = typeName[(typeName.LastIndexOf('.') + 1)..].Trim();
        if (shortName == nameof(PublishConfig))
        {
            return "";
        }

        return shortName.EndsWith("Section", StringComparison.Ordinal)
            ? JsonName(shortName[..^"Section".Length])
            : JsonName(shortName);
    }

    private static List<string> ExtractQuoted(string message)
    {
        var list = new List<string>();
        var start = -1;
        for (var i = 0; i < message.Length; i++)
        {
            if (message[i] != '\'')
            {
                continue;
            }

            if (start < 0)
            {
                start = i;
            }
            else
            {
                list.Add(message[(start + 1)..i]);
                start = -1;
            }
        }

        return list;
    }

    private static void ValidateRecursive(object instance, string prefix, List<string> errors)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true);
        foreach (var result in results)
        {
            foreach (var member in result.MemberNames.DefaultIfEmpty(""))
            {
                var field = prefix + JsonName(member);
                errors.Add($"{field}: {StripMemberName(result.ErrorMessage, member)}");
            }
        }

        foreach (var property in instance.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            // Only our own sections: framework types (Uri, List<string>) are values, not sections to walk.
            if (property.PropertyType.IsClass && property.PropertyType.Namespace == typeof(PublishConfig).Namespace && property.GetValue(instance) is { } child)
            {
                ValidateRecursive(child, prefix + JsonName(property.Name) + ".", errors);
            }
        }
    }

    private static string JsonName(string member) =>
        member.Length == 0 ? member : char.ToLowerInvariant(member[0]) + member[1..];

    private static string StripMemberName(string? message, string member) =>
        (message ?? "is invalid").Replace($"The field {member} ", "", StringComparison.Ordinal)
            .Replace($"The {member} field ", "", StringComparison.Ordinal)
            .Trim();
}
