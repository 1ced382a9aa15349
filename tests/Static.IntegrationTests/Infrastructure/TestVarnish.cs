using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>
/// A throwaway Varnish of the test's own, on free loopback ports, running the edge VCL
/// (scripts/varnish/edge.vcl.in) against the test's bucket on the stack's s3rver. Stopped afterwards.
/// </summary>
public sealed class TestVarnish : IAsyncDisposable
{
    private readonly string workDir;

    private TestVarnish(string workDir, int port)
    {
        this.workDir = workDir;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(15) };
    }

    public int Port { get; }

    public HttpClient Client { get; }

    public static async Task<TestVarnish> StartAsync(string bucket, int apiPort)
    {
        var s3 = new Uri(StackServers.Require(StackServers.Settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL"));
        var vcl = (await File.ReadAllTextAsync(Path.Combine(StackServers.RepositoryRoot, "scripts", "varnish", "edge.vcl.in")))
            .Replace("@S3_PORT@", s3.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@API_PORT@", apiPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@BUCKET@", bucket, StringComparison.Ordinal);
        return await StartWithVclAsync(vcl);
    }

    /// <summary>Starts Varnish with the given VCL (for instance the one <c>publisher edge-config</c> generates).</summary>
    public static async Task<TestVarnish> StartWithVclAsync(string vcl)
    {
        var dir = Directory.CreateTempSubdirectory("static-test-varnish-").FullName;
        var port = FreePort();
        var adminPort = FreePort();
        var vclPath = Path.Combine(dir, "edge.vcl");
        await File.WriteAllTextAsync(vclPath, vcl);

        var start = new ProcessStartInfo("varnishd")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var arg in new[] { "-j", "none", "-a", $"127.0.0.1:{port}", "-T", $"127.0.0.1:{adminPort}", "-n", Path.Combine(dir, "work"), "-f", vclPath, "-s", "malloc,16m", "-P", Path.Combine(dir, "varnishd.pid") })
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("varnishd did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("varnishd is not installed: run ./test.sh or scripts/stack.sh up, which install it.", e);
        }

        // varnishd compiles the VCL, forks the cache process and exits 0 once it serves.
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"varnishd failed (exit {process.ExitCode}): {stderr}");
        }

        var varnish = new TestVarnish(dir, port);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await PortOpenAsync(port))
        {
            if (DateTime.UtcNow > deadline)
            {
                await varnish.DisposeAsync();
                throw new InvalidOperationException($"varnishd does not answer on {port}");
            }

            await Task.Delay(100);
        }

        return varnish;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        var pidFile = Path.Combine(workDir, "varnishd.pid");
        if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await PortOpenAsync(Port) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        try
        {
            Directory.Delete(workDir, recursive: true);
        }
        catch (IOException)
        {
            // The cache process may still hold a file for a moment; /tmp is cleaned eventually.
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<bool> PortOpenAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
