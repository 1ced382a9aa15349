using Static.Shared.Configuration;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>
/// The shared local stack (scripts/stack.sh up): its servers, never its data. A missing setting or a server
/// that does not answer fails the test that needs it, with the command that fixes it.
/// </summary>
public static class StackServers
{
    private static readonly Lazy<StackSettings> Lazy = new(() => StackSettings.Load());

    public static StackSettings Settings => Lazy.Value;

    public static string RepositoryRoot { get; } = FindRoot();

    public static string Require(string? value, string variable) =>
        !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new InvalidOperationException(
                $"{variable} is not set and .local/stack.env does not name it: the integration tests need the local stack. Run ./test.sh, or scripts/stack.sh up first.");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Static.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Static.sln not found above " + AppContext.BaseDirectory);
    }
}
