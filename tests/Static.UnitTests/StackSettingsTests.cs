using Static.Shared.Configuration;

namespace Static.UnitTests;

public sealed class StackSettingsTests
{
    [Fact]
    public void The_environment_wins_over_stack_env_and_the_file_fills_the_rest()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "# comment\nSTATIC_DATABASE='Host=file;Port=1'\nSTATIC_REDIS=127.0.0.1:6000\nSTATIC_S3_BUCKET=\"b\"\n\n");
            var settings = StackSettings.Load(name => name == "STATIC_DATABASE" ? "Host=env" : null, file);
            Assert.Equal("Host=env", settings.Database);
            Assert.Equal("127.0.0.1:6000", settings.Redis);
            Assert.Null(settings.S3ServiceUrl);
            Assert.Equal("b", settings.S3Bucket);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_missing_database_names_the_variable() =>
        Assert.Contains("STATIC_DATABASE", Assert.Throws<ConfigException>(() => StackSettings.Load(_ => null, null).RequireDatabase()).Message, StringComparison.Ordinal);
}
