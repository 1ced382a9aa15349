namespace Static.Client;

/// <summary>Where a body came from.</summary>
public enum ContentSource
{
    /// <summary>The client's own cache (memory or disk) of bodies it verified earlier.</summary>
    Cache,

    /// <summary>The CDN (an immutable URL, or a stable path when the manifest cannot be used).</summary>
    Cdn,

    /// <summary>The Api, because the CDN failed or served bytes that did not match.</summary>
    Api,
}

/// <summary>A stable path's bytes, and what is known about them.</summary>
/// <param name="Path">The stable path (<c>/products/12.json</c>).</param>
/// <param name="Body">The bytes.</param>
/// <param name="Verified">
/// True when the bytes hash to a manifest entry this client held: either the current one, or (see
/// <paramref name="Current"/>) an earlier one it verified before. False only when no verified copy existed and
/// the client reported why (a <see cref="StaticClientNoticeEventArgs"/>): an unknown manifest format, a path not in the
/// manifest, or an Api answer that did not match the entry.
/// </param>
/// <param name="Current">True when the bytes match the entry of the manifest version the client holds now.</param>
/// <param name="Source">Where the bytes came from.</param>
/// <param name="Sha256">The SHA-256 (hex) of <paramref name="Body"/>.</param>
/// <param name="Version">The manifest version the client held when it answered, or null if it held none.</param>
public sealed record StaticContent(string Path, ReadOnlyMemory<byte> Body, bool Verified, bool Current, ContentSource Source, string Sha256, long? Version);

/// <summary>
/// One manifest version the client adopted that changed at least one path it watches.
/// </summary>
/// <param name="Version">The new version.</param>
/// <param name="PreviousVersion">The version the client held before.</param>
/// <param name="ChangedPaths">
/// Every stable path added, changed or removed in the shards the client holds (the shards of the paths it has
/// read), sorted ordinally. Paths in shards it never used are not watched and not listed.
/// </param>
public sealed record ManifestChange(long Version, long PreviousVersion, IReadOnlyList<string> ChangedPaths);

/// <summary>What a <see cref="StaticClientNoticeEventArgs"/> reports.</summary>
public enum StaticClientNoticeKind
{
    /// <summary>The CDN failed (network error, timeout, 5xx); the Api was asked instead.</summary>
    CdnFailed,

    /// <summary>A body or shard did not hash to what the manifest names; it was rejected and not used.</summary>
    HashMismatch,

    /// <summary>
    /// The Api's answer did not match the manifest entry (the Api is ahead of the last publish, or behind), and
    /// no verified copy was held: the unverified answer was used (<see cref="StaticContent.Verified"/> false).
    /// </summary>
    UnverifiedApiAnswerUsed,

    /// <summary>The current entry's bytes could not be had verified; the verified copy of an earlier version was served.</summary>
    OlderVerifiedCopyUsed,

    /// <summary>The root has a <c>format</c> this client does not know: the manifest is not used; stable paths are read unverified.</summary>
    UnknownFormat,

    /// <summary>The path is in no shard of the manifest held (not yet published, removed, or not an artifact): its stable path was read unverified.</summary>
    NotInManifest,

    /// <summary>The manifest or a shard could not be fetched (or a root older than the one held came back): the held version is kept.</summary>
    RefreshFailed,
}

/// <summary>Something the client did that a caller may want to know about: a fallback, a rejection, an unverified answer.</summary>
public sealed class StaticClientNoticeEventArgs : EventArgs
{
    /// <summary>Creates a notice.</summary>
    /// <param name="kind">What happened.</param>
    /// <param name="path">The stable path or URL concerned, if any.</param>
    /// <param name="message">A sentence for a log.</param>
    /// <param name="version">The manifest version held, if any.</param>
    public StaticClientNoticeEventArgs(StaticClientNoticeKind kind, string? path, string message, long? version)
    {
        Kind = kind;
        Path = path;
        Message = message;
        Version = version;
    }

    /// <summary>What happened.</summary>
    public StaticClientNoticeKind Kind { get; }

    /// <summary>The stable path or URL concerned, if any.</summary>
    public string? Path { get; }

    /// <summary>A sentence for a log.</summary>
    public string Message { get; }

    /// <summary>The manifest version the client held, if any.</summary>
    public long? Version { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind}: {Message}";
}

/// <summary>Neither the CDN, the Api nor the client's cache could answer for a path.</summary>
public sealed class StaticClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StaticClientException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What could not be read, and why.</param>
    public StaticClientException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What could not be read, and why.</param>
    /// <param name="innerException">The last failure.</param>
    public StaticClientException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
