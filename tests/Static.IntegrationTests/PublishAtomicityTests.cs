using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Static.IntegrationTests.Infrastructure;
using Static.Publisher.Publishing;
using Static.Publisher.Stores;
using Static.Shared.Manifests;

namespace Static.IntegrationTests;

public sealed class PublishAtomicityTests
{
    [Fact]
    public async Task A_run_that_dies_half_way_never_shows_a_reader_a_broken_manifest_and_the_next_run_completes()
    {
        await using var servers = await IsolatedServers.CreateAsync();
        await PublisherHarness.SeedAsync(servers, products: 80, categories: 4);
        await using (var first = await PublisherHarness.CreateAsync(servers))
        {
            await first.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
        }

        await using (var rename = servers.Database.DataSource.CreateCommand("update products set name = 'Second Edition ' || id where id <= 40"))
        {
            await rename.ExecuteNonQueryAsync();
        }

        // A reader polls the store's root the whole time and checks everything it references.
        using var stop = new CancellationTokenSource();
        var progress = new ReaderProgress();
        var reader = Task.Run(() => ReadUntilStoppedAsync(servers.Bucket.Name, progress, stop.Token));

        FailingObjectStore? failing = null;
        await using (var broken = await PublisherHarness.CreateAsync(servers, wrap: s3 => failing = new FailingObjectStore(s3, failAfter: 25)))
        {
            var e = await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => broken.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None));
            Assert.Contains("injected failure", e.Message, StringComparison.Ordinal);
        }

        Assert.True(failing!.Puts > 25, "the failure must have happened part-way through the uploads");
        await progress.WaitForMoreChecksAsync(1);   // the reader checked the store as the failed run left it
        await using (var states = servers.Database.DataSource.CreateCommand("select state from publishes order by version"))
        {
            Assert.Equal(["succeeded", "failed"], await ReadStringsAsync(states));
        }

        await using (var completed = await PublisherHarness.CreateAsync(servers))
        {
            var result = await completed.Publisher.PublishAsync(new PublishOptions(), null, CancellationToken.None);
            Assert.True(result.Uploaded >= 80, $"the renamed products' pages are uploaded again ({result.Uploaded})");
            var page = Encoding.UTF8.GetString((await completed.S3.GetAsync("products/40.html", CancellationToken.None))!.Body);
            Assert.Contains("Second Edition 40", page, StringComparison.Ordinal);
        }

        await progress.WaitForMoreChecksAsync(1);   // and as the completing run left it
        await stop.CancelAsync();
        var (manifestsSeen, versions) = await reader;
        Assert.True(manifestsSeen >= 2, $"the reader should have checked several manifests, saw {manifestsSeen}");
        Assert.Contains(versions, v => v > 1);
    }

    /// <summary>Returns how many manifests it checked and the versions seen; throws on the first broken reference.</summary>
    private static async Task<(int Seen, HashSet<long> Versions)> ReadUntilStoppedAsync(string bucket, ReaderProgress progress, CancellationToken stop)
    {
        var s3 = new S3ObjectStore(StackServers.Settings.S3ServiceUrl, bucket, StackServers.Settings.S3AccessKey, StackServers.Settings.S3SecretKey);
        var seen = 0;
        var versions = new HashSet<long>();
        while (!stop.IsCancellationRequested)
        {
            var rootObject = await s3.GetAsync(ObjectKeys.ManifestRoot, CancellationToken.None);
            if (rootObject is null)
            {
                continue;
            }

            var root = ManifestSharding.DeserializeRoot(rootObject.Body);
            foreach (var (name, hash) in root.Shards)
            {
                var shardObject = await s3.GetAsync(ObjectKeys.Shard(name, hash), CancellationToken.None)
                    ?? throw new InvalidOperationException($"manifest v{root.Version} references missing shard {name}.{hash}");
                Assert.StartsWith(hash, Convert.ToHexStringLower(SHA256.HashData(shardObject.Body)), StringComparison.Ordinal);
                var shard = ManifestSharding.DeserializeShard(shardObject.Body);
                await Parallel.ForEachAsync(shard.Entries, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (entry, ct) =>
                {
                    var immutable = await s3.GetAsync(ObjectKeys.Immutable(entry.Value, Path.GetExtension(entry.Key)), ct)
                        ?? throw new InvalidOperationException($"manifest v{root.Version} references missing immutable copy of {entry.Key}");
                    Assert.Equal(entry.Value, Convert.ToHexStringLower(SHA256.HashData(immutable.Body)));
                });
            }

            seen++;
            versions.Add(root.Version);
            progress.Checked();
        }

        s3.Dispose();
        return (seen, versions);
    }

    /// <summary>Lets the test wait until the reader has completed more checks (bounded).</summary>
    private sealed class ReaderProgress
    {
        private int checks;

        public void Checked() => Interlocked.Increment(ref checks);

        public async Task WaitForMoreChecksAsync(int more)
        {
            var target = Volatile.Read(ref checks) + more;
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (Volatile.Read(ref checks) < target)
            {
                Assert.True(DateTime.UtcNow < deadline, "the manifest reader made no progress in two minutes");
                await Task.Delay(50);
            }
        }
    }

    private static async Task<List<string>> ReadStringsAsync(NpgsqlCommand command)
    {
        await using var reader = await command.ExecuteReaderAsync();
        var list = new List<string>();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }
}
