using System.Net;
using System.Runtime.InteropServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Static.Publisher.Stores;

/// <summary>
/// S3 through AWSSDK.S3, for Amazon S3 or any S3-compatible endpoint (s3rver locally). Checksums are
/// computed only when required and bodies are sent unchunked: with the SDK's defaults s3rver stores the
/// aws-chunked framing as the object's content while answering 200 (shared/FACTS.md).
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private static readonly TimeSpan BucketCheckInterval = TimeSpan.FromMinutes(5);
    private readonly AmazonS3Client client;
    private readonly string bucket;
    private long verifiedUntil;

    public S3ObjectStore(string? serviceUrl, string bucket, string? accessKey, string? secretKey, string? region = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucket);
        this.bucket = bucket;
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 3,
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (!string.IsNullOrWhiteSpace(serviceUrl))
        {
            config.ServiceURL = serviceUrl;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else if (!string.IsNullOrWhiteSpace(region))
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        }

        client = accessKey is not null && secretKey is not null
            ? new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), config)
            : new AmazonS3Client(config);
        Description = $"s3://{bucket}" + (string.IsNullOrWhiteSpace(serviceUrl) ? "" : $" at {serviceUrl}");
    }

    public string Description { get; }

    public async Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        // A long-running publisher checks the bucket once every few minutes, not on every publish: s3rver
        // takes some 300 ms to answer HEAD on a bucket of 40,000 objects, a third of an admin change's budget.
        if (Environment.TickCount64 < Interlocked.Read(ref verifiedUntil))
        {
            return;
        }

        try
        {
            // HEAD on the bucket: cheap, and 404 when it does not exist. (Not a listing: s3rver answers a
            // ListObjectsV2 on a bucket of some 40,000 objects with 500 InternalError.)
            await client.HeadBucketAsync(new HeadBucketRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false);
            Interlocked.Exchange(ref verifiedUntil, Environment.TickCount64 + (long)BucketCheckInterval.TotalMilliseconds);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound || e.ErrorCode == "NoSuchBucket")
        {
            throw new ObjectStoreUnavailableException($"{Description}: the bucket does not exist. Create it, or set store.bucket / STATIC_S3_BUCKET.", e);
        }
        catch (AmazonS3Exception e)
        {
            throw new ObjectStoreUnavailableException($"{Description}: {e.StatusCode} {e.ErrorCode}: {e.Message}", e);
        }
        catch (Exception e) when (e is HttpRequestException or AmazonClientException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ObjectStoreUnavailableException($"{Description}: cannot reach the endpoint ({e.Message}). Is the stack up? Run scripts/stack.sh up.", e);
        }
    }

    public async Task PutAsync(ObjectToPut item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        // The SDK reads the stream; wrap the caller's array rather than copying it.
        using var stream = MemoryMarshal.TryGetArray(item.Body, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(item.Body.ToArray(), writable: false);
        var request = new PutObjectRequest
        {
            BucketName = bucket,
            Key = item.Key,
            InputStream = stream,
            ContentType = item.ContentType,
            UseChunkEncoding = false,
            AutoCloseStream = false,
        };
        request.Headers.CacheControl = item.CacheControl;
        foreach (var (name, value) in item.Metadata)
        {
            request.Metadata.Add(name, value);
        }

        try
        {
            await client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
        {
            throw new ObjectStoreUnavailableException($"{Description}: PUT {item.Key} failed: {e.Message}", e);
        }
    }

    public async Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            using var copy = new MemoryStream();
            await response.ResponseStream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            var metadata = response.Metadata.Keys.ToDictionary(
                k => k.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase) ? k["x-amz-meta-".Length..] : k,
                k => response.Metadata[k],
                StringComparer.OrdinalIgnoreCase);
            return new StoredObject(key, copy.ToArray(), response.Headers.ContentType, response.Headers.CacheControl, metadata);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            var metadata = response.Metadata.Keys.ToDictionary(
                k => k.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase) ? k["x-amz-meta-".Length..] : k,
                k => response.Metadata[k],
                StringComparer.OrdinalIgnoreCase);
            return new ObjectHead(key, response.ContentLength, response.Headers.ContentType, response.Headers.CacheControl,
                metadata.TryGetValue(ObjectHead.Sha256MetadataKey, out var sha) ? sha : null, metadata);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
        {
            throw new ObjectStoreUnavailableException($"{Description}: HEAD {key} failed: {e.Message}", e);
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await client.DeleteObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone.
        }
    }

    public async IAsyncEnumerable<ListedObject> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            var page = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var o in page.S3Objects ?? [])
            {
                yield return new ListedObject(o.Key, o.Size ?? 0, o.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.MinValue);
            }

            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
    }

    public void Dispose() => client.Dispose();
}
