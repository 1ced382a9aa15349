using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Static.Shared.Configuration;

/// <summary>
/// Binds publish-config.json's keys (file, environment, host overrides: one <see cref="IConfiguration"/>) onto
/// <see cref="PublishConfig"/>. Before binding it walks the keys against the sections' properties, so that an
/// unknown key or a value of the wrong type is reported by its field in the JSON's naming
/// (<c>catalog.listingPageSize</c>), every one at once; validation of the values is
/// <see cref="PublishConfigValidator"/>'s.
/// </summary>
public static class PublishConfigBinding
{
    /// <summary>Binds <paramref name="configuration"/> onto <paramref name="config"/>; a <see cref="ConfigException"/> names every bad key.</summary>
    public static void Bind(IConfiguration configuration, PublishConfig config)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var errors = new List<string>();
        Check(configuration, typeof(PublishConfig), "", errors);
        if (errors.Count > 0)
        {
            throw new ConfigException(string.Join(Environment.NewLine + "  ", errors));
        }

        configuration.Bind(config, o => o.ErrorOnUnknownConfiguration = true);
    }

    /// <summary>The failures of <see cref="PublishConfigValidator"/>, one line each, named in the JSON's naming.</summary>
    public static ConfigException Describe(OptionsValidationException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Invalid(exception.Failures);
    }

    /// <summary>Validates <paramref name="config"/>; a <see cref="ConfigException"/> lists every invalid field.</summary>
    public static void Validate(PublishConfig config)
    {
        var result = new PublishConfigValidator().Validate(null, config);
        if (result.Failed)
        {
            throw Invalid(result.Failures ?? []);
        }
    }

    /// <summary>A field in the JSON's naming: <c>Catalog.ListingPageSize</c> → <c>catalog.listingPageSize</c>.</summary>
    public static string JsonName(string dottedPath) =>
        string.Join('.', dottedPath.Split('.', ':').Select(s => s.Length == 0 ? s : char.ToLowerInvariant(s[0]) + s[1..]));

    private static ConfigException Invalid(IEnumerable<string> failures) =>
        new("invalid configuration:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", failures.Select(Field)));

    // The generated validator reports "Member: The field PublishConfig.Catalog.Member must be ..." (the
    // display name is the path from the root type; custom messages in PublishConfig.cs keep the "{0}" for
    // it); turn it into "catalog.member: must be ...".
    private static string Field(string failure)
    {
        const string root = nameof(PublishConfig) + ".";
        var at = failure.IndexOf(root, StringComparison.Ordinal);
        if (at < 0)
        {
            return failure;
        }

        var end = failure.IndexOf(' ', at);
        var path = end < 0 ? failure[(at + root.Length)..] : failure[(at + root.Length)..end];
        var message = failure[(end < 0 ? failure.Length : end + 1)..];
        return $"{JsonName(path)}: {message}";
    }

    private static void Check(IConfiguration section, Type type, string prefix, List<string> errors)
    {
        foreach (var child in section.GetChildren())
        {
            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                var owner = prefix.Length > 0 ? $"'{prefix.TrimEnd('.')}'" : "the top level";
                errors.Add($"unknown field '{prefix}{child.Key}' (not a setting of {owner}; see README.md, Configuration)");
                continue;
            }

            var field = prefix + JsonName(property.Name);
            if (IsSection(property.PropertyType))
            {
                Check(child, property.PropertyType, field + ".", errors);
            }
            else if (child.Value is { Length: > 0 } value && !Converts(value, property.PropertyType))
            {
                errors.Add($"field '{field}' has value '{value}', which is not {Expected(property.PropertyType)}");
            }
        }
    }

    // Our own sections are walked; framework types (Uri, List<string>) are values.
    private static bool IsSection(Type type) => type.IsClass && type.Namespace == typeof(PublishConfig).Namespace;

    // The conversion the binder itself uses for a scalar.
    private static bool Converts(string value, Type type)
    {
        var converter = TypeDescriptor.GetConverter(type);
        if (!converter.CanConvertFrom(typeof(string)))
        {
            return true;
        }

        try
        {
            converter.ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or NotSupportedException)
        {
            return false;
        }
    }

    private static string Expected(Type type) => type switch
    {
        _ when type == typeof(int) || type == typeof(long) => "a whole number",
        _ when type == typeof(double) => "a number",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(TimeSpan) => "a duration such as 00:00:30",
        { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLower(CultureInfo.InvariantCulture))),
        _ => "a valid " + type.Name,
    };
}
