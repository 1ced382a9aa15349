namespace Static.Shared.Configuration;

/// <summary>
/// Where the servers are: connection settings and secrets, from the environment only (never the repo or
/// publish-config.json). Locally, <c>scripts/stack.sh up</c> writes them to <c>.local/stack.env</c>, which
/// is read for any variable the environment does not set.
/// </summary>
public sealed record StackSettings(
    string? Database,
    string? DatabaseAdmin,
    string? Redis,
    string? S3ServiceUrl,
    string? S3AccessKey,
    string? S3SecretKey,
    string? S3Bucket,
    string? EdgeUrl,
    string? EdgeAdmin,
    string? VarnishWorkDir,
    string? ApiUrl)
{
    public static StackSettings Load() => Load(Environment.GetEnvironmentVariable, FindStackEnv());

    public static StackSettings Load(Func<string, string?> environment, string? stackEnvPath)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var file = stackEnvPath is not null && File.Exists(stackEnvPath) ? ParseEnvFile(stackEnvPath) : new Dictionary<string, string>();
        string? Get(string name)
        {
            var value = environment(name);
            return !string.IsNullOrWhiteSpace(value) ? value : file.GetValueOrDefault(name);
        }

        return new StackSettings(
            Get("STATIC_DATABASE"), Get("STATIC_DATABASE_ADMIN"), Get("STATIC_REDIS"),
            Get("STATIC_S3_SERVICE_URL"), Get("STATIC_S3_ACCESS_KEY"), Get("STATIC_S3_SECRET_KEY"), Get("STATIC_S3_BUCKET"),
            Get("STATIC_EDGE_URL"), Get("STATIC_EDGE_ADMIN"), Get("STATIC_VARNISH_WORKDIR"), Get("STATIC_API_URL"));
    }

    /// <summary>The PostgreSQL connection string, or an error that says how to get one.</summary>
    public string RequireDatabase() => Database ?? throw new ConfigException(
        "STATIC_DATABASE is not set and no .local/stack.env was found: run scripts/stack.sh up, or export STATIC_DATABASE=\"Host=...;Database=...\".");

    public string RequireRedis() => Redis ?? throw new ConfigException(
        "STATIC_REDIS is not set and no .local/stack.env was found: run scripts/stack.sh up, or export STATIC_REDIS=host:port.");

    /// <summary>The nearest <c>.local/stack.env</c> above the current folder or the program's folder.</summary>
    public static string? FindStackEnv()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ".local", "stack.env");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static Dictionary<string, string> ParseEnvFile(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                var value = line[(eq + 1)..];
                if (value.Length >= 2 && (value[0] == '\'' || value[0] == '"') && value[^1] == value[0])
                {
                    value = value[1..^1];   // stack.env quotes values so that the shell can source it too
                }

                values[line[..eq]] = value;
            }
        }

        return values;
    }
}
