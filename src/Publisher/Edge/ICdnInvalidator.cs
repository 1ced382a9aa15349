namespace Static.Publisher.Edge;

/// <summary>
/// The CDN could not take an invalidation; the publisher records it and sends it again after a backoff.
/// <see cref="Permanent"/>: the CDN rejected the request itself (CloudFront's InvalidArgument, BatchTooLarge,
/// InconsistentQuantities, MissingBody), so sending the same batch again cannot succeed: it is parked at once.
/// </summary>
public sealed class InvalidationFailedException(string message, Exception? inner = null, bool permanent = false) : Exception(message, inner)
{
    public bool Permanent { get; } = permanent;
}

/// <summary>
/// Invalidation behind one port. The publisher calls it after the manifest is live, with exactly the stable
/// paths whose bytes changed or vanished (the manifest root has a short TTL; immutable paths never change).
/// </summary>
public interface ICdnInvalidator
{
    /// <summary>"varnish at http://127.0.0.1:56081", "none".</summary>
    string Description { get; }

    /// <summary>
    /// Invalidates the request's paths (or, where the CDN supports cache tags, its tags and the paths they do
    /// not cover); returns how many entries the CDN was sent. Throws <see cref="InvalidationFailedException"/>.
    /// </summary>
    Task<int> InvalidateAsync(long version, InvalidationRequest request, CancellationToken cancellationToken);
}

/// <summary>No CDN: nothing to invalidate.</summary>
public sealed class NoCdnInvalidator : ICdnInvalidator
{
    public string Description => "none";

    public Task<int> InvalidateAsync(long version, InvalidationRequest request, CancellationToken cancellationToken) => Task.FromResult(0);
}
