using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Static.IntegrationTests.Infrastructure;

namespace Static.IntegrationTests;

/// <summary>
/// scripts/stack.sh on a throwaway stack of its own (STATIC_LOCAL_DIR in /tmp, free ports): it starts,
/// reports, stops only what it started, and names a taken port instead of hanging.
/// </summary>
public sealed class StackScriptTests : IDisposable
{
    private readonly string localDir = Directory.CreateTempSubdirectory("static-stack-").FullName;
    private readonly Dictionary<string, string> ports = new()
    {
        ["STATIC_PG_PORT"] = Free(),
        ["STATIC_REDIS_PORT"] = Free(),
        ["STATIC_S3_PORT"] = Free(),
        ["STATIC_EDGE_PORT"] = Free(),
        ["STATIC_EDGE_ADMIN_PORT"] = Free(),
        ["STATIC_API_PORT"] = Free(),
    };

    public void Dispose()
    {
        // Whatever happened, stop the throwaway stack and remove its data (PostgreSQL's may be under /tmp).
        Run("down");
        var location = Path.Combine(localDir, "pg.location");
        if (File.Exists(location))
        {
            var pgDir = File.ReadAllText(location).Trim();
            if (pgDir.StartsWith("/tmp/static-pg-", StringComparison.Ordinal) && Directory.Exists(pgDir))
            {
                Directory.Delete(pgDir, recursive: true);
            }
        }

        Directory.Delete(localDir, recursive: true);
    }

    [Fact]
    public void A_taken_port_is_named_with_the_variable_that_moves_it_and_nothing_starts()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, int.Parse(ports["STATIC_REDIS_PORT"], CultureInfo.InvariantCulture));
        squatter.Start();

        var watch = Stopwatch.StartNew();
        var (code, output) = Run("up");

        Assert.NotEqual(0, code);
        Assert.Contains($"port {ports["STATIC_REDIS_PORT"]}", output, StringComparison.Ordinal);
        Assert.Contains("STATIC_REDIS_PORT", output, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}, expected a prompt refusal");
        Assert.False(PortOpen(ports["STATIC_PG_PORT"]), "nothing should have started before the port check");
    }

    [Fact]
    public void Up_is_idempotent_status_reports_and_down_stops_only_its_own_servers()
    {
        var (down, downOutput) = Run("status");
        Assert.NotEqual(0, down);
        Assert.Contains("postgres   down", downOutput, StringComparison.Ordinal);

        var (up, upOutput) = Run("up");
        Assert.True(up == 0, upOutput);
        foreach (var port in new[] { "STATIC_PG_PORT", "STATIC_REDIS_PORT", "STATIC_S3_PORT", "STATIC_EDGE_PORT" })
        {
            Assert.True(PortOpen(ports[port]), $"{port} {ports[port]} should answer after up:\n{upOutput}");
        }

        var env = File.ReadAllText(Path.Combine(localDir, "stack.env"));
        Assert.Contains($"Port={ports["STATIC_PG_PORT"]}", env, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{ports["STATIC_REDIS_PORT"]}", env, StringComparison.Ordinal);

        var (again, againOutput) = Run("up");
        Assert.True(again == 0, againOutput);
        Assert.Contains("already up", againOutput, StringComparison.Ordinal);

        var (status, statusOutput) = Run("status");
        Assert.True(status == 0, statusOutput);
        Assert.Contains("redis      up", statusOutput, StringComparison.Ordinal);

        var (stopped, stopOutput) = Run("down");
        Assert.True(stopped == 0, stopOutput);
        foreach (var port in new[] { "STATIC_PG_PORT", "STATIC_REDIS_PORT", "STATIC_S3_PORT", "STATIC_EDGE_PORT" })
        {
            Assert.False(PortOpen(ports[port]), $"{port} should be closed after down");
        }

        // The shared stack the other tests use is untouched.
        var shared = new Uri(StackServers.Require(StackServers.Settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL"));
        Assert.True(PortOpen(shared.Port.ToString(CultureInfo.InvariantCulture)), "the shared stack's s3rver must still run");
    }

    private (int Code, string Output) Run(string verb)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = StackServers.RepositoryRoot,
        };
        start.ArgumentList.Add(Path.Combine(StackServers.RepositoryRoot, "scripts", "stack.sh"));
        start.ArgumentList.Add(verb);
        start.Environment["STATIC_LOCAL_DIR"] = localDir;
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
            throw new TimeoutException($"scripts/stack.sh {verb} did not finish in 3 minutes");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string Free() => TestVarnish.FreePort().ToString(CultureInfo.InvariantCulture);

    private static bool PortOpen(string port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, int.Parse(port, CultureInfo.InvariantCulture));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
