using Static.Publisher.Edge;
using Static.Shared.Configuration;

namespace Static.UnitTests;

/// <summary>The schedule on which a refused invalidation batch is sent again, and which CloudFront refusals park a batch at once.</summary>
public sealed class InvalidationBackoffTests
{
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Cap = TimeSpan.FromMinutes(30);

    [Theory]
    [InlineData(1, 0.0, 15)]          // half the first step without jitter
    [InlineData(1, 0.5, 22.5)]
    [InlineData(2, 0.0, 30)]          // doubles
    [InlineData(3, 0.5, 90)]          // 120 s step, three quarters of it
    [InlineData(7, 0.0, 900)]         // 1,920 s step capped at 1,800 s
    [InlineData(8, 0.0, 900)]
    [InlineData(1000, 0.0, 900)]      // no overflow however many failures
    public void The_wait_doubles_per_failure_up_to_the_cap_with_half_of_it_jittered(int failures, double jitter, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), InvalidationBackoff.Delay(failures, Base, Cap, jitter));

    [Fact]
    public void Every_wait_lies_between_half_its_step_and_its_step()
    {
        var random = new Random(7);
        for (var failures = 1; failures <= 12; failures++)
        {
            var step = TimeSpan.FromTicks(Math.Min(Cap.Ticks, Base.Ticks << (failures - 1)));
            for (var i = 0; i < 200; i++)
            {
                var delay = InvalidationBackoff.Delay(failures, Base, Cap, random.NextDouble());
                Assert.InRange(delay, step / 2, step);
            }
        }
    }

    [Fact]
    public void With_the_defaults_a_batch_is_parked_after_half_an_hour_to_an_hour_of_refusals()
    {
        var cdn = new CdnSection();
        Assert.Equal(8, cdn.InvalidationMaxAttempts);
        // Waits come after failures 1..7; the 8th failure parks.
        var shortest = Enumerable.Range(1, cdn.InvalidationMaxAttempts - 1).Sum(f => InvalidationBackoff.Delay(f, cdn.InvalidationRetryDelay, cdn.InvalidationRetryMaxDelay, 0).TotalMinutes);
        var longest = Enumerable.Range(1, cdn.InvalidationMaxAttempts - 1).Sum(f => InvalidationBackoff.Delay(f, cdn.InvalidationRetryDelay, cdn.InvalidationRetryMaxDelay, 0.999999).TotalMinutes);
        Assert.InRange(shortest, 30, 32);
        Assert.InRange(longest, 60, 63);
    }

    [Fact]
    public void A_zero_base_means_no_wait_and_a_cap_below_the_base_wins()
    {
        Assert.Equal(TimeSpan.Zero, InvalidationBackoff.Delay(5, TimeSpan.Zero, Cap, 0.9));
        Assert.Equal(TimeSpan.FromSeconds(5), InvalidationBackoff.Delay(1, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(10), 0));
    }

    [Fact]
    public void Out_of_range_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => InvalidationBackoff.Delay(0, Base, Cap, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => InvalidationBackoff.Delay(1, Base, Cap, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => InvalidationBackoff.Delay(1, Base, Cap, -0.1));
    }

    [Theory]
    [InlineData("""{ "cdn": { "invalidationMaxAttempts": 0 } }""", "cdn.invalidationMaxAttempts")]
    [InlineData("""{ "cdn": { "invalidationRetryDelay": "02:00:00" } }""", "cdn.invalidationRetryDelay")]
    [InlineData("""{ "cdn": { "invalidationRetryMaxDelay": "-00:00:01" } }""", "cdn.invalidationRetryMaxDelay")]
    public void Out_of_range_settings_are_refused_by_name(string json, string field)
    {
        var path = Path.Combine(Path.GetTempPath(), $"static-backoff-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try
        {
            var e = Assert.Throws<ConfigException>(() => PublishConfigLoader.Load(path, new System.Collections.Hashtable()));
            Assert.Contains(field, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("<ErrorResponse><Error><Type>Sender</Type><Code>InvalidArgument</Code><Message>bad path</Message></Error></ErrorResponse>", "InvalidArgument", true)]
    [InlineData("<ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Code>BatchTooLarge</Code></Error></ErrorResponse>", "BatchTooLarge", true)]
    [InlineData("<ErrorResponse><Error><Code>InconsistentQuantities</Code></Error></ErrorResponse>", "InconsistentQuantities", true)]
    [InlineData("<ErrorResponse><Error><Code>MissingBody</Code></Error></ErrorResponse>", "MissingBody", true)]
    [InlineData("<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>", "AccessDenied", false)]
    [InlineData("<ErrorResponse><Error><Code>NoSuchDistribution</Code></Error></ErrorResponse>", "NoSuchDistribution", false)]
    [InlineData("<ErrorResponse><Error><Code>TooManyInvalidationsInProgress</Code></Error></ErrorResponse>", "TooManyInvalidationsInProgress", false)]
    [InlineData("upstream connect error", null, false)]
    [InlineData("", null, false)]
    public void Only_refusals_of_the_request_itself_park_a_batch_at_once(string body, string? code, bool parkAtOnce)
    {
        Assert.Equal(code, CloudFrontInvalidator.ErrorCode(body));
        Assert.Equal(parkAtOnce, code is not null && CloudFrontInvalidator.RequestRejectedCodes.Contains(code));
    }
}
