namespace Static.IntegrationTests.Infrastructure;

/// <summary>
/// One xunit collection for the tests that bound a wait (Redis paused, 500 concurrent reads) and for the
/// ones that run whole publisher processes: they do not run beside each other, so the heavy ones cannot
/// starve the timed ones on a 2-core machine. Other classes still run in parallel with them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TimingSensitive
{
    public const string Name = "timing-sensitive and process-heavy";
}
