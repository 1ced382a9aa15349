using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Stores;

namespace Static.IntegrationTests;

/// <summary>
/// scripts/stack.sh on a throwaway stack of its own (STATIC_LOCAL_DIR in /tmp, free ports): it starts,
/// reports, stops only what it started, and names a taken port instead of hanging.
/// </summary>
public sealed class StackScriptTests : IDisposable
{
    private readonly StackScript stack = StackScript.Create();

    // Whatever happened, stop the throwaway stack and remove its data (PostgreSQL's may be under /tmp).
    public void Dispose() => stack.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Fact]
    public void A_taken_port_is_named_with_the_variable_that_moves_it_and_nothing_starts()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, int.Parse(stack.Ports["STATIC_REDIS_PORT"], CultureInfo.InvariantCulture));
        squatter.Start();

        var watch = Stopwatch.StartNew();
        var (code, output) = Run("up");

        Assert.NotEqual(0, code);
        Assert.Contains($"port {stack.Ports["STATIC_REDIS_PORT"]}", output, StringComparison.Ordinal);
        Assert.Contains("STATIC_REDIS_PORT", output, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}, expected a prompt refusal");
        Assert.False(PortOpen(stack.Ports["STATIC_PG_PORT"]), "nothing should have started before the port check");
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
            Assert.True(PortOpen(stack.Ports[port]), $"{port} {stack.Ports[port]} should answer after up:\n{upOutput}");
        }

        var env = File.ReadAllText(Path.Combine(stack.LocalDir, "stack.env"));
        Assert.Contains($"Port={stack.Ports["STATIC_PG_PORT"]}", env, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{stack.Ports["STATIC_REDIS_PORT"]}", env, StringComparison.Ordinal);

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
            Assert.False(PortOpen(stack.Ports[port]), $"{port} should be closed after down");
        }

        // The shared stack the other tests use is untouched.
        var shared = new Uri(StackServers.Require(StackServers.Settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL"));
        Assert.True(PortOpen(shared.Port.ToString(CultureInfo.InvariantCulture)), "the shared stack's s3rver must still run");
    }

    [Fact]
    public async Task Up_after_s3rver_was_killed_mid_PUT_removes_the_unfinished_object_and_the_bucket_answers_again()
    {
        var (up, upOutput) = Run("up");
        Assert.True(up == 0, upOutput);
        var url = $"http://127.0.0.1:{stack.Ports["STATIC_S3_PORT"]}";
        var ct = CancellationToken.None;
        using (var store = new S3ObjectStore(url, "static-site", "S3RVER", "S3RVER"))
        {
            await store.EnsureReadyAsync(ct);
            foreach (var key in new[] { "v/1/kept.json", "v/1/cut.json" })
            {
                await store.PutAsync(new ObjectToPut(key, "{\"ok\":true}"u8.ToArray(), "application/json", "max-age=60", new Dictionary<string, string>()), ct);
            }
        }

        // What s3rver leaves when it is killed while writing an object's metadata: the JSON cut short.
        var metadata = Directory.GetFiles(Path.Combine(stack.LocalDir, "s3rver", "data"), "cut.json._S3rver_metadata.json", SearchOption.AllDirectories).Single();
        await File.WriteAllTextAsync(metadata, "{\n  \"content-type\": \"appli", ct);
        using (var broken = new S3ObjectStore(url, "static-site", "S3RVER", "S3RVER"))
        {
            // s3rver itself never gets over it: HEAD on the bucket is a listing, and the listing fails.
            await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => broken.EnsureReadyAsync(ct));
        }

        var pid = int.Parse(File.ReadAllText(Path.Combine(stack.LocalDir, "s3rver", "s3rver.pid")).Trim(), CultureInfo.InvariantCulture);
        using (var killed = Process.GetProcessById(pid))
        {
            killed.Kill();
            await killed.WaitForExitAsync(ct);
        }

        var (again, againOutput) = Run("up");
        Assert.True(again == 0, againOutput);
        Assert.Contains("removed static-site/v/1/cut.json (half-written metadata)", againOutput, StringComparison.Ordinal);
        using var recovered = new S3ObjectStore(url, "static-site", "S3RVER", "S3RVER");
        await recovered.EnsureReadyAsync(ct);
        Assert.NotNull(await recovered.HeadAsync("v/1/kept.json", ct));
        Assert.Null(await recovered.HeadAsync("v/1/cut.json", ct));
    }

    private (int Code, string Output) Run(string verb) => stack.Run(verb);

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
