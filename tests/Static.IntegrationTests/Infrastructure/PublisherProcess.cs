using System.Diagnostics;
using System.Text;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>
/// <c>publisher run</c> as a real process on a test's database and bucket (the Debug build), so a test can
/// run two of them or kill one with SIGKILL. Its output is kept for failure messages.
/// </summary>
internal sealed class PublisherProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private PublisherProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    public Task WaitForExitAsync(CancellationToken cancellationToken = default) => process.WaitForExitAsync(cancellationToken);

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static PublisherProcess Start(IsolatedServers servers, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(servers);
        return Start(PublisherHarness.Settings(servers), ["run"], environment);
    }

    /// <summary>Any publisher command (<c>run</c>, <c>publish --full</c>, ...) on the servers <paramref name="settings"/> name.</summary>
    public static PublisherProcess Start(Static.Shared.Configuration.StackSettings settings, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(arguments);
        var dll = Path.Combine(StackServers.RepositoryRoot, "src", "Publisher", "bin", "Debug", "net10.0", "publisher.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first (./test.sh does).");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = StackServers.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["STATIC_DATABASE"] = settings.Database;
        start.Environment["STATIC_REDIS"] = settings.Redis;
        start.Environment["STATIC_S3_SERVICE_URL"] = settings.S3ServiceUrl;
        start.Environment["STATIC_S3_ACCESS_KEY"] = settings.S3AccessKey;
        start.Environment["STATIC_S3_SECRET_KEY"] = settings.S3SecretKey;
        start.Environment["STATIC_S3_BUCKET"] = settings.S3Bucket;
        start.Environment["STATIC_CONFIG__cdn__kind"] = "none";
        start.Environment["STATIC_CONFIG__outbox__clusterCheckinInterval"] = "00:00:01";
        start.Environment["STATIC_CONFIG__outbox__pollInterval"] = "00:00:01";
        start.Environment["Logging__LogLevel__Default"] = "Information";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return new PublisherProcess(Process.Start(start)!);
    }

    /// <summary>SIGKILL: no shutdown, no cleanup, as a crash.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            if (output.Length < 200_000)
            {
                output.AppendLine(line);
            }
        }
    }
}
