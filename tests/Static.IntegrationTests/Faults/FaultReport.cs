using System.Globalization;
using Static.IntegrationTests.Infrastructure;

namespace Static.IntegrationTests.Faults;

/// <summary>
/// One row of the table <c>./test.sh --faults</c> prints: the fault, the load it ran under, what clients
/// saw while it lasted, p99 then, how the system came back, and what was lost. Rows are appended as
/// tab-separated lines to <c>STATIC_FAULT_REPORT</c> (default <c>.local/faults/report.tsv</c>), which
/// test.sh empties before the run and prints after it.
/// </summary>
internal static class FaultReport
{
    private static readonly Lock Gate = new();

    public static string FilePath =>
        Environment.GetEnvironmentVariable("STATIC_FAULT_REPORT") is { Length: > 0 } path ? path : Path.Combine(StackServers.RepositoryRoot, ".local", "faults", "report.tsv");

    public static void Add(string fault, string load, string clientsSaw, string p99, string recovery, string lost)
    {
        var line = string.Join('\t', new[] { fault, load, clientsSaw, p99, recovery, lost }.Select(c => c.Replace('\t', ' ').Replace('\n', ' '))) + "\n";
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            File.AppendAllText(FilePath, line);
        }
    }

    public static string Ms(double ms) => string.Create(CultureInfo.InvariantCulture, $"{ms:0} ms");
}
