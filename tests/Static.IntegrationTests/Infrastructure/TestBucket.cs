using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Static.IntegrationTests.Infrastructure;

/// <summary>A bucket of the test's own on the stack's s3rver, emptied and deleted afterwards.</summary>
public sealed class TestBucket : IAsyncDisposable
{
    private TestBucket(string name, AmazonS3Client client)
    {
        Name = name;
        Client = client;
    }

    public string Name { get; }

    public AmazonS3Client Client { get; }

    public static AmazonS3Client CreateClient()
    {
        var settings = StackServers.Settings;
        // s3rver stores aws-chunked framing as content unless checksums are "when required" and every
        // PutObjectRequest sets UseChunkEncoding = false (shared/FACTS.md).
        var config = new AmazonS3Config
        {
            ServiceURL = StackServers.Require(settings.S3ServiceUrl, "STATIC_S3_SERVICE_URL"),
            ForcePathStyle = true,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 1,
            Timeout = TimeSpan.FromSeconds(20),
        };
        return new AmazonS3Client(new BasicAWSCredentials(
            StackServers.Require(settings.S3AccessKey, "STATIC_S3_ACCESS_KEY"),
            StackServers.Require(settings.S3SecretKey, "STATIC_S3_SECRET_KEY")), config);
    }

    public static async Task<TestBucket> CreateAsync(CancellationToken cancellationToken = default)
    {
        var client = CreateClient();
        var name = "t-" + Guid.NewGuid().ToString("N")[..20];
        try
        {
            await client.PutBucketAsync(new PutBucketRequest { BucketName = name }, cancellationToken);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
        {
            client.Dispose();
            throw new InvalidOperationException($"s3rver of the local stack does not answer ({e.Message}). Run ./test.sh, or scripts/stack.sh up first.", e);
        }

        return new TestBucket(name, client);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            string? token = null;
            do
            {
                var listing = await Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Name, ContinuationToken = token });
                var keys = (listing.S3Objects ?? []).Select(o => new KeyVersion { Key = o.Key }).ToList();
                if (keys.Count > 0)
                {
                    await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (k, ct) => await Client.DeleteObjectAsync(Name, k.Key, ct));
                }

                token = listing.IsTruncated == true ? listing.NextContinuationToken : null;
            }
            while (token is not null);

            await Client.DeleteBucketAsync(Name);
        }
        finally
        {
            Client.Dispose();
        }
    }
}
