using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Cli;
using Static.Publisher.Jobs;
using Static.Publisher.Operations;
using Static.Publisher.Publishing;
using Static.Shared.Configuration;
using Static.Shared.Manifests;

namespace Static.IntegrationTests;

/// <summary>Publisher operations on real PostgreSQL and s3rver: rollback and resume, gc, the scheduled service.</summary>
public sealed class OperationsTests
{
    [Fact]
    public async Task Rollback_serves_the_old_versions_exact_bytes_and_manifest_and_a_scheduled_publish_while_pinned_changes_nothing()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 40, categories: 3);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        var v1 = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var v1Root = (await harness.S3.GetAsync(ObjectKeys.ManifestRoot, CancellationToken.None))!.Body;
        var v1Bytes = await ReadStableAsync(harness);

        // Version 2: renames, a deleted product, a new one.
        await ExecuteAsync(servers, "update products set name = 'Changed ' || id where id <= 10");
        await ExecuteAsync(servers, "delete from products where id = 20");
        await ExecuteAsync(servers, "insert into products (id, slug, name, price_amount, currency, category_id) select 500, 'brand-new-500', 'Brand New', 9.99, 'EUR', category_id from products where id = 1");
        var v2 = await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        Assert.Contains("/products/500.html", v2.UploadedPaths);
        Assert.NotEqual(v1Root, (await harness.S3.GetAsync(ObjectKeys.ManifestRoot, CancellationToken.None))!.Body);

        var rollback = await harness.Services.GetRequiredService<RollbackService>().RollbackAsync(v1.Version!.Value, CancellationToken.None);
        Assert.Equal(v1.Version, rollback.RestoredVersion);

        // Versions only move forward: the restored content is live under the rollback's own, newer version,
        // and the root is version 1's except for "version" and "restores".
        var rolledRoot = (await harness.S3.GetAsync(ObjectKeys.ManifestRoot, CancellationToken.None))!.Body;
        var live = ManifestSharding.DeserializeRoot(rolledRoot);
        Assert.Equal(rollback.Run, live.Version);
        Assert.True(live.Version > v2.Version!.Value, $"the rollback's version {live.Version} is not after {v2.Version}");
        Assert.Equal(v1.Version, live.Restores);
        Assert.Equal(v1Root, ManifestSharding.Serialize(live with { Version = v1.Version!.Value, Restores = null }));
        Assert.Contains("\"restores\":" + v1.Version, System.Text.Encoding.UTF8.GetString(rolledRoot), StringComparison.Ordinal);
        var restored = await ReadStableAsync(harness);
        Assert.Equal(v1Bytes.Keys.Order(), restored.Keys.Order());
        foreach (var (path, bytes) in v1Bytes)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(restored[path]), $"{path} differs from version {v1.Version}");
        }

        Assert.Null(await harness.S3.GetAsync("products/500.html", CancellationToken.None));
        Assert.Contains("/products/500.html", rollback.Invalidations);

        // Pinned: the scheduled job runs and changes nothing.
        var job = new FullPublishJob(harness.Publisher, harness.Services.GetRequiredService<PublishHealth>(), Microsoft.Extensions.Logging.Abstractions.NullLogger<FullPublishJob>.Instance);
        await job.RunAsync(CancellationToken.None);
        Assert.False(harness.Services.GetRequiredService<PublishHealth>().LastSucceeded);
        Assert.Equal(rolledRoot, (await harness.S3.GetAsync(ObjectKeys.ManifestRoot, CancellationToken.None))!.Body);
        await Assert.ThrowsAsync<PublishPausedException>(() => harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None));
        var error = new StringWriter();
        Assert.Equal(PublisherCli.ExitPaused, await PublisherCli.RunAsync(["publish"], TextWriter.Null, error, PublisherHarness.Settings(servers), PublisherHarness.ConfigPath));
        Assert.Contains("publisher resume", error.ToString(), StringComparison.Ordinal);

        // Resume publishes the current catalog again.
        var (pinned, resumed) = await harness.Services.GetRequiredService<PublisherOperations>().ResumeAsync(null, CancellationToken.None);
        Assert.Equal(v1.Version, pinned);
        var current = await ReadStableAsync(harness);
        Assert.Contains("Changed 3", System.Text.Encoding.UTF8.GetString(current["/products/3.html"]), StringComparison.Ordinal);
        Assert.True(current.ContainsKey("/products/500.html"));
        Assert.False(current.ContainsKey("/products/20.html"));
        Assert.True(resumed.Version > v2.Version);

        // Publish, publish, rollback, resume: every version the store served is newer than the one before.
        Assert.True(v1.Version < v2.Version && v2.Version < rollback.Run && rollback.Run < resumed.Version,
            $"versions went {v1.Version}, {v2.Version}, {rollback.Run}, {resumed.Version}");
        Assert.Equal(resumed.Version, ManifestSharding.DeserializeRoot((await harness.S3.GetAsync(ObjectKeys.ManifestRoot, CancellationToken.None))!.Body).Version);
    }

    [Fact]
    public async Task Rolling_back_to_a_version_that_does_not_exist_or_failed_changes_nothing()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 10, categories: 2);
        await using var harness = await PublisherHarness.CreateAsync(servers);
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var error = new StringWriter();
        Assert.Equal(PublisherCli.ExitFailed, await PublisherCli.RunAsync(["rollback", "--to", "99"], TextWriter.Null, error, PublisherHarness.Settings(servers), PublisherHarness.ConfigPath));
        Assert.Contains("no version 99", error.ToString(), StringComparison.Ordinal);
        Assert.Null(await harness.Services.GetRequiredService<PinState>().GetAsync(CancellationToken.None));
        Assert.Equal(PublisherCli.ExitUsage, await PublisherCli.RunAsync(["rollback"], TextWriter.Null, new StringWriter(), PublisherHarness.Settings(servers), PublisherHarness.ConfigPath));
    }

    [Fact]
    public async Task Gc_deletes_only_what_no_kept_version_references_and_respects_the_cap_and_the_grace_period()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 30, categories: 2);
        await using var harness = await PublisherHarness.CreateAsync(servers, configure: c =>
        {
            c.Retention.KeepVersions = 2;
            c.Retention.MinAge = TimeSpan.Zero;
            c.Retention.GcGracePeriod = TimeSpan.Zero;
            c.Retention.MaxDeletesPerRun = 3;
        });
        for (var round = 1; round <= 3; round++)
        {
            await ExecuteAsync(servers, $"update products set name = 'Round {round} ' || id where id <= 8");
            await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        }

        var gc = harness.Services.GetRequiredService<GarbageCollector>();
        var plan = await gc.CollectAsync(force: false, dryRun: true, CancellationToken.None);
        Assert.Equal(2, plan.KeptVersions.Count);
        Assert.True(plan.Deleted.Count > 3, $"expected more garbage than the cap, got {plan.Deleted.Count}");

        // Over the cap: refused, nothing deleted.
        await Assert.ThrowsAsync<GcCapExceededException>(() => gc.CollectAsync(force: false, dryRun: false, CancellationToken.None));
        foreach (var key in plan.Deleted.Take(5))
        {
            Assert.NotNull(await harness.S3.GetAsync(key, CancellationToken.None));
        }

        var result = await gc.CollectAsync(force: true, dryRun: false, CancellationToken.None);
        Assert.Equal(plan.Deleted, result.Deleted);
        foreach (var key in result.Deleted)
        {
            Assert.Null(await harness.S3.GetAsync(key, CancellationToken.None));
        }

        // Every object a kept version references is still there and hashes to its name.
        foreach (var version in result.KeptVersions)
        {
            await AssertManifestCompleteAsync(harness, await RootOfAsync(servers, version));
        }

        // With the default grace period of an hour, fresh garbage is left alone.
        await ExecuteAsync(servers, "update products set name = 'Round 4 ' || id where id <= 8");
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        await using var graceful = await PublisherHarness.CreateAsync(servers, configure: c =>
        {
            c.Retention.KeepVersions = 1;
            c.Retention.MinAge = TimeSpan.Zero;
        });
        var young = await graceful.Services.GetRequiredService<GarbageCollector>().CollectAsync(force: true, dryRun: false, CancellationToken.None);
        Assert.Empty(young.Deleted);
        Assert.True(young.TooYoung > 0);
    }

    [Fact]
    public async Task Gc_keeps_what_left_the_live_manifest_less_than_min_age_ago_whatever_keepVersions_says()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 20, categories: 2);
        await using var harness = await PublisherHarness.CreateAsync(servers, configure: c =>
        {
            c.Retention.KeepVersions = 1;
            c.Retention.MinAge = TimeSpan.FromDays(1);
            c.Retention.GcGracePeriod = TimeSpan.Zero;
        });
        var versions = new List<long>();
        for (var round = 1; round <= 3; round++)
        {
            await ExecuteAsync(servers, $"update products set name = 'Round {round} ' || id where id <= 5");
            versions.Add((await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None)).Version!.Value);
        }

        var gc = harness.Services.GetRequiredService<GarbageCollector>();
        // Every version left the live manifest just now: all kept, although keepVersions is 1.
        Assert.Equal(versions, (await gc.CollectAsync(force: true, dryRun: true, CancellationToken.None)).KeptVersions.Order());

        // The first version was replaced two days ago (the second went live then); the second only now.
        await ExecuteAsync(servers, $"update publishes set finished_at = now() - interval '2 days' where version <= {versions[1]}");
        var result = await gc.CollectAsync(force: true, dryRun: false, CancellationToken.None);
        Assert.Equal(versions.Skip(1), result.KeptVersions.Order());
        Assert.NotEmpty(result.Deleted);
        foreach (var version in result.KeptVersions)
        {
            await AssertManifestCompleteAsync(harness, await RootOfAsync(servers, version));
        }
    }

    [Fact]
    public async Task Publish_and_gc_started_together_never_leave_a_live_manifest_that_names_a_missing_object()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 30, categories: 2);
        await using var harness = await PublisherHarness.CreateAsync(servers, configure: c =>
        {
            c.Retention.KeepVersions = 1;
            c.Retention.MinAge = TimeSpan.Zero;
            c.Retention.GcGracePeriod = TimeSpan.Zero;
            c.Retention.MaxDeletesPerRun = 100_000;
        });
        await harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        var gc = harness.Services.GetRequiredService<GarbageCollector>();
        for (var round = 1; round <= 4; round++)
        {
            await ExecuteAsync(servers, $"update products set name = 'Race {round} ' || id where id <= 10");
            var publish = Swallow<PublishBusyException>(() => harness.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None));
            var collect = Swallow<PublishBusyException>(() => gc.CollectAsync(force: true, dryRun: false, CancellationToken.None));
            await Task.WhenAll(publish, collect);
            await AssertManifestCompleteAsync(harness, ManifestSharding.DeserializeRoot((await harness.S3.GetAsync(ObjectKeys.ManifestRoot, CancellationToken.None))!.Body));
        }
    }

    [Fact]
    public async Task The_service_runs_the_full_publish_on_its_cron()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 10, categories: 2);
        var configuration = new ConfigurationBuilder()
            .AddConfiguration(PublishConfigLoader.Build(PublisherHarness.ConfigPath, new System.Collections.Hashtable()))
            .AddInMemoryCollection(new Dictionary<string, string?> { ["schedule:fullPublishCron"] = "0/1 * * * * ?" })   // every second
            .Build();
        using var host = RunCommand.Build(configuration, PublisherHarness.Settings(servers), PublisherHarness.ConfigPath);
        host.Services.ValidatePublishConfig();
        await host.Services.GetRequiredService<Static.Shared.Catalog.MigrationRunner>().ApplyAsync(CancellationToken.None);
        await host.StartAsync();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            long scheduled = 0;
            while (scheduled < 2 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
                await using var count = servers.Database.DataSource.CreateCommand("select count(*) from publishes where trigger = 'schedule' and state = 'succeeded'");
                scheduled = (long)(await count.ExecuteScalarAsync())!;
            }

            Assert.True(scheduled >= 2, $"expected two scheduled runs within a minute, saw {scheduled}");
            Assert.True(host.Services.GetRequiredService<PublishHealth>().LastSucceeded);
        }
        finally
        {
            await host.StopAsync();
        }

        // Stopping waited for any running job: the lock is free again.
        await using (await new PublishStateStore(servers.Database.DataSource).AcquireLockAsync(CancellationToken.None))
        {
        }
    }

    [Fact]
    public void An_invalid_cron_stops_start_up_naming_the_field()
    {
        var config = new PublishConfig();
        config.Schedule.FullPublishCron = "every hour";
        var e = Assert.Throws<ConfigException>(() => PublisherScheduling.Validate(config));
        Assert.Contains("schedule.fullPublishCron", e.Message, StringComparison.Ordinal);
    }

    private static async Task Swallow<T>(Func<Task> action) where T : Exception
    {
        try
        {
            await action();
        }
        catch (T)
        {
            // The other one held the lock: that is the point.
        }
    }

    private static async Task AssertManifestCompleteAsync(PublisherHarness harness, ManifestRoot root)
    {
        foreach (var (name, hash) in root.Shards)
        {
            var shard = await harness.S3.GetAsync(ObjectKeys.Shard(name, hash), CancellationToken.None);
            Assert.True(shard is not null, $"version {root.Version}: shard {name}.{hash} is missing");
            foreach (var (path, sha) in ManifestSharding.DeserializeShard(shard.Body).Entries)
            {
                var immutable = await harness.S3.GetAsync(ObjectKeys.Immutable(sha, Path.GetExtension(path)), CancellationToken.None);
                Assert.True(immutable is not null, $"version {root.Version}: immutable copy of {path} is missing");
                Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(immutable.Body)));
            }
        }
    }

    private static async Task<ManifestRoot> RootOfAsync(IsolatedServers servers, long version)
    {
        await using var command = servers.Database.DataSource.CreateCommand("select manifest::text from publishes where version = @v");
        command.Parameters.AddWithValue("v", version);
        return ManifestSharding.DeserializeRoot(System.Text.Encoding.UTF8.GetBytes((string)(await command.ExecuteScalarAsync())!));
    }

    private static async Task<Dictionary<string, byte[]>> ReadStableAsync(PublisherHarness harness)
    {
        var entries = await PublishTests.ReadAllEntriesAsync(harness);
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var path in entries.Keys)
        {
            result[path] = (await harness.S3.GetAsync(path[1..], CancellationToken.None))!.Body;
        }

        return result;
    }

    private static async Task ExecuteAsync(IsolatedServers servers, string sql)
    {
        await using var command = servers.Database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
