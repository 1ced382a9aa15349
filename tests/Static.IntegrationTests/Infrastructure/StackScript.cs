using System.Diagnostics;
using System.Globalization;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>
/// scripts/stack.sh on a throwaway stack of its own (STATIC_LOCAL_DIR in /tmp, free ports): StackScriptTests
/// check the script with it, and a fault test kills its Varnish and brings it back the way a user would.
/// Disposing runs <c>down</c> and removes its data.
/// </summary>
internal sealed class StackScript : IAsyncDisposable
{
    private readonly Dictionary<string, string> ports = new()
    {
        ["STATIC_PG_PORT"] = Free(),
        ["STATIC_REDIS_PORT"] = Free(),
        ["STATIC_S3_PORT"] = Free(),
        ["STATIC_EDGE_PORT"] = Free(),
        ["STATIC_EDGE_ADMIN_PORT"] = Free(),
        ["STATIC_API_PORT"] = Free(),
        ["STATIC_EDGE_STORAGE"] = "malloc,64m",
    };

    private StackScript(string localDir) => LocalDir = localDir;

    public string LocalDir { get; }

    /// <summary>The variables that place this stack (ports, edge storage), as the script reads them.</summary>
    public IReadOnlyDictionary<string, string> Ports => ports;

    public string EdgeUrl => $"http://127.0.0.1:{ports["STATIC_EDGE_PORT"]}";

    /// <summary>Placed, nothing started.</summary>
    public static StackScript Create() => new(Directory.CreateTempSubdirectory("static-stack-").FullName);

    public static Task<StackScript> StartAsync()
    {
        var stack = Create();
        var (code, output) = stack.Run("up");
        Assert.True(code == 0, "scripts/stack.sh up failed:\n" + output);
        return Task.FromResult(stack);
    }

    public (int Code, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = StackServers.RepositoryRoot };
        start.ArgumentList.Add(Path.Combine(StackServers.RepositoryRoot, "scripts", "stack.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["STATIC_LOCAL_DIR"] = LocalDir;
        foreach (var (name, value) in ports)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"scripts/stack.sh {string.Join(' ', arguments)} did not finish in 3 minutes");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>SIGKILL to every varnishd of this stack (the manager and its cache child), as a crash.</summary>
    public async Task KillVarnishAsync()
    {
        var work = Path.Combine(LocalDir, "varnish", "work");
        using var pkill = Process.Start("pkill", ["-9", "-f", work])!;
        await pkill.WaitForExitAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await TestVarnish.PortOpenAsync(int.Parse(ports["STATIC_EDGE_PORT"], CultureInfo.InvariantCulture)))
        {
            Assert.True(DateTime.UtcNow < deadline, "varnishd still answers after SIGKILL");
            await Task.Delay(100);
        }
    }

    /// <summary>The source of the VCL Varnish runs now (the active one in vcl.list).</summary>
    public string ActiveVcl()
    {
        var work = Path.Combine(LocalDir, "varnish", "work");
        var list = Capture("varnishadm", "-n", work, "vcl.list");
        var active = list.Split('\n').First(l => l.StartsWith("active", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
        return Capture("varnishadm", "-n", work, "vcl.show", active);
    }

    private static string Capture(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true })!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text;
    }

    private static string Free() => TestVarnish.FreePort().ToString(CultureInfo.InvariantCulture);

    public ValueTask DisposeAsync()
    {
        Run("down");
        var location = Path.Combine(LocalDir, "pg.location");
        if (File.Exists(location))
        {
            var pgDir = File.ReadAllText(location).Trim();
            if (pgDir.StartsWith("/tmp/static-pg-", StringComparison.Ordinal) && Directory.Exists(pgDir))
            {
                Directory.Delete(pgDir, recursive: true);
            }
        }

        Directory.Delete(LocalDir, recursive: true);
        return ValueTask.CompletedTask;
    }
}
