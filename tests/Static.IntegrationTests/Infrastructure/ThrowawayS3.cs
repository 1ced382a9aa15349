using System.Diagnostics;
using System.Globalization;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>
/// An s3rver of the test's own (the stack's installed copy, on a free port, data in /tmp), for a test that
/// kills the S3 server: SIGKILL like a crash, then start again on the same port and data.
/// </summary>
public sealed class ThrowawayS3 : IAsyncDisposable
{
    private readonly string dir;
    private Process? process;
    private bool killed;

    private ThrowawayS3(string dir, int port, string bucket)
    {
        this.dir = dir;
        Port = port;
        Bucket = bucket;
    }

    public int Port { get; }

    public string Bucket { get; }

    /// <summary>Where s3rver keeps the objects (a test counts files here to see uploads happen).</summary>
    public string DataDirectory => Path.Combine(dir, "data");

    /// <summary>False between <see cref="KillAsync"/> and the next <see cref="StartServerAsync"/>.</summary>
    public bool Up { get; private set; }

    public string ServiceUrl => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}");

    public static async Task<ThrowawayS3> StartAsync()
    {
        var s3 = new ThrowawayS3(Directory.CreateTempSubdirectory("static-test-s3-").FullName, ThrowawayRedis.FreePort(), "t-" + Guid.NewGuid().ToString("N")[..20]);
        await s3.StartServerAsync();
        return s3;
    }

    public async Task StartServerAsync()
    {
        var npm = Environment.GetEnvironmentVariable("STATIC_NPM_DIR") ?? Path.Combine(StackServers.RepositoryRoot, ".local", "npm");
        var script = Path.Combine(npm, "node_modules", "s3rver", "bin", "s3rver.js");
        Assert.True(File.Exists(script), $"{script} is missing: scripts/stack.sh up installs s3rver (./test.sh runs it).");
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        foreach (var arg in new[] { script, "-d", Path.Combine(dir, "data"), "-a", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "--silent", "--configure-bucket", Bucket })
        {
            start.ArgumentList.Add(arg);
        }

        Directory.CreateDirectory(Path.Combine(dir, "data"));
        if (killed)
        {
            // As scripts/stack.sh does after a crash: s3rver leaves a PUT it was killed in half-written.
            await RecoverAsync();
        }

        process = Process.Start(start) ?? throw new InvalidOperationException("s3rver did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await TestVarnish.PortOpenAsync(Port))
        {
            Assert.True(DateTime.UtcNow < deadline && !process.HasExited, $"s3rver did not answer on {Port}");
            await Task.Delay(100);
        }

        Up = true;
    }

    /// <summary>SIGKILL, as a crash: whatever it was writing stays as it was.</summary>
    public async Task KillAsync()
    {
        Up = false;
        killed = true;
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>The output of scripts/s3rver-recover.js the last time the server started after a kill.</summary>
    public string Recovered { get; private set; } = "";

    private async Task RecoverAsync()
    {
        var recover = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        recover.ArgumentList.Add(Path.Combine(StackServers.RepositoryRoot, "scripts", "s3rver-recover.js"));
        recover.ArgumentList.Add(DataDirectory);
        using var run = Process.Start(recover) ?? throw new InvalidOperationException("node did not start");
        var output = run.StandardOutput.ReadToEndAsync();
        var error = run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();
        Recovered = (await output).Trim();
        Assert.True(run.ExitCode == 0, $"scripts/s3rver-recover.js failed ({run.ExitCode}): {await error}");
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process?.Dispose();
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Cleaned with /tmp eventually.
        }
    }
}
