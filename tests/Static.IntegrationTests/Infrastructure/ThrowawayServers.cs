using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>A PostgreSQL cluster of the test's own (initdb on a free port), for tests that stop the database.</summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly string dir;
    private readonly string bin;

    private ThrowawayPostgres(string dir, string bin, int port)
    {
        this.dir = dir;
        this.bin = bin;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Short timeouts: what the Api under test uses, so a stopped server fails fast.</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Username=postgres;Database=static;Timeout=3;Command Timeout=5");

    /// <summary>For a test's set-up (migrations, seed): patient, since a loaded machine can take seconds.</summary>
    public string SetupConnectionString => string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Username=postgres;Database=static;Timeout=15;Command Timeout=120");

    public static async Task<ThrowawayPostgres> StartAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Order().LastOrDefault() is { } v ? Path.Combine(v, "bin") : throw new InvalidOperationException("PostgreSQL is not installed: run ./test.sh or scripts/stack.sh up.");
        var dir = Path.Combine("/tmp", "static-test-pg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        await Shell.RunAsync("chown", "postgres:postgres", dir);
        var pg = new ThrowawayPostgres(dir, bin, ThrowawayRedis.FreePort());
        await AsPostgresAsync(Path.Combine(bin, "initdb"), "-D", Path.Combine(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8");
        await pg.StartServerAsync();
        await AsPostgresAsync(Path.Combine(bin, "createdb"), "-h", "127.0.0.1", "-p", pg.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "static");
        return pg;
    }

    public Task StartServerAsync() => AsPostgresAsync(Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(dir, "data"), "-l", Path.Combine(dir, "log"), "-w", "-t", "30",
        "-o", string.Create(CultureInfo.InvariantCulture, $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={dir} -c fsync=off"), "start");

    /// <summary>A streaming replica of this server (pg_basebackup -R) on a port of its own.</summary>
    public async Task<ThrowawayPostgres> StartReplicaAsync()
    {
        var replicaDir = Path.Combine("/tmp", "static-test-pg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(replicaDir);
        await Shell.RunAsync("chown", "postgres:postgres", replicaDir);
        var replica = new ThrowawayPostgres(replicaDir, bin, ThrowawayRedis.FreePort());
        await AsPostgresAsync(Path.Combine(bin, "pg_basebackup"), "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres",
            "-D", Path.Combine(replicaDir, "data"), "-R", "-X", "stream", "-c", "fast");
        await replica.StartServerAsync();
        return replica;
    }

    /// <summary>Stops at once, as a crash would.</summary>
    public Task StopAsync() => AsPostgresAsync(Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(dir, "data"), "-m", "immediate", "-w", "stop");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(dir, recursive: true);
    }

    private static Task AsPostgresAsync(string program, params string[] args) =>
        Environment.UserName == "root" ? Shell.RunAsync("runuser", ["-u", "postgres", "--", program, .. args]) : Shell.RunAsync(program, args);
}

/// <summary>A Redis of the test's own on a free port, that a test can pause (SIGSTOP) or stop.</summary>
public sealed class ThrowawayRedis : IAsyncDisposable
{
    private Process process;

    private ThrowawayRedis(Process process, int port)
    {
        this.process = process;
        Port = port;
    }

    public int Port { get; }

    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    public static async Task<ThrowawayRedis> StartAsync()
    {
        var port = FreePort();
        return new ThrowawayRedis(await StartProcessAsync(port), port);
    }

    /// <summary>SIGKILL, as a crash (no save: the throwaway Redis keeps nothing on disk).</summary>
    public async Task KillAsync()
    {
        await ResumeAsync();
        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>Starts it again on the same port, empty.</summary>
    public async Task RestartAsync()
    {
        process.Dispose();
        process = await StartProcessAsync(Port);
    }

    private static async Task<Process> StartProcessAsync(int port)
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Listening(port))
        {
            if (DateTime.UtcNow > deadline)
            {
                process.Kill();
                throw new InvalidOperationException("redis-server does not answer on " + port);
            }

            await Task.Delay(50);
        }

        return process;
    }

    public Task PauseAsync() => Shell.RunAsync("kill", "-STOP", process.Id.ToString(CultureInfo.InvariantCulture));

    public Task ResumeAsync() => Shell.RunAsync("kill", "-CONT", process.Id.ToString(CultureInfo.InvariantCulture));

    public async Task StopAsync()
    {
        await ResumeAsync();
        process.Kill();
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            await StopAsync();
        }

        process.Dispose();
    }

    public static int FreePort() => TestVarnish.FreePort();

    private static bool Listening(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

internal static class Shell
{
    public static async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }
}
