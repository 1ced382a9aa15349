using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Static.Shared.Manifests;

namespace Static.Client;

/// <summary>
/// Reads a Static shop's published catalog the way docs/manifest.md asks a client to: CDN first, one
/// conditional request for <c>/manifest.json</c> per refresh, only the held shards and held entries whose hash
/// changed, every body checked against its SHA-256 before use, the Api when the CDN fails or lies, and the
/// verified bodies kept (on disk when <see cref="StaticClientOptions.CacheDirectory"/> is set) so that a restart
/// or an outage still answers. Thread-safe; one instance per application (the DI extension registers a
/// singleton).
/// </summary>
/// <remarks>
/// The fallback rule: a body is used when it hashes to the manifest entry. When the CDN fails (network error,
/// timeout, 5xx) or serves bytes that do not match, the Api is asked for the stable path; its answer is used
/// when it matches. When it does not (the Api renders from the database, so it may be ahead of the last
/// publish), it is used only if no verified copy of the path is held, and a
/// <see cref="StaticClientNoticeKind.UnverifiedApiAnswerUsed"/> notice says so; otherwise the held verified copy
/// is served (<see cref="StaticClientNoticeKind.OlderVerifiedCopyUsed"/>). Published bytes that fail
/// verification are never used.
/// </remarks>
public sealed partial class StaticClient : IDisposable
{
    /// <summary>The name of the CDN's <see cref="HttpClient"/> in <see cref="IHttpClientFactory"/>.</summary>
    public const string CdnClientName = "Static.Client.Cdn";

    /// <summary>The name of the Api's <see cref="HttpClient"/> in <see cref="IHttpClientFactory"/>.</summary>
    public const string ApiClientName = "Static.Client.Api";

    private const string ManifestPath = "/manifest.json";
    private readonly Func<HttpClient> cdn;
    private readonly Func<HttpClient> api;
    private readonly Uri cdnBase;
    private readonly Uri apiBase;
    private readonly StaticClientOptions options;
    private readonly TimeProvider time;
    private readonly VerifiedStore store;
    private readonly SemaphoreSlim refreshGate = new(1, 1);
    private readonly SemaphoreSlim saveGate = new(1, 1);
    private readonly Lock sync = new();
    private readonly List<Channel<ManifestChange>> subscribers = [];

    // Guarded by sync. root, rootETag, shards and manifestDisabled change together, in RefreshAsync only.
    private ManifestRoot? root;
    private string? rootETag;
    private byte[]? rootBytes;
    private bool manifestDisabled;
    private Dictionary<string, HeldShard> shards = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> held = new(StringComparer.Ordinal);
    private long lastRefresh;
    private bool refreshedOnce;

    /// <summary>Creates a client on two <see cref="HttpClient"/>s (their base addresses are not used: the options' are).</summary>
    /// <param name="cdnClient">Sends requests to the CDN.</param>
    /// <param name="apiClient">Sends requests to the Api.</param>
    /// <param name="options">Validated here; a bad field throws <see cref="OptionsValidationException"/> naming it.</param>
    /// <param name="timeProvider">The clock for refresh intervals (the system clock by default).</param>
    public StaticClient(HttpClient cdnClient, HttpClient apiClient, StaticClientOptions options, TimeProvider? timeProvider = null)
        : this(() => cdnClient, () => apiClient, options, timeProvider)
    {
        ArgumentNullException.ThrowIfNull(cdnClient);
        ArgumentNullException.ThrowIfNull(apiClient);
    }

    /// <summary>Creates a client on <see cref="IHttpClientFactory"/>'s named clients <see cref="CdnClientName"/> and <see cref="ApiClientName"/> (what <c>AddStaticClient</c> registers).</summary>
    /// <param name="factory">The factory: a client is taken per request, so handler rotation applies.</param>
    /// <param name="options">The options, validated here.</param>
    /// <param name="timeProvider">The clock for refresh intervals (the system clock by default).</param>
    public StaticClient(IHttpClientFactory factory, IOptions<StaticClientOptions> options, TimeProvider? timeProvider = null)
        : this(() => factory.CreateClient(CdnClientName), () => factory.CreateClient(ApiClientName), options?.Value!, timeProvider)
    {
        ArgumentNullException.ThrowIfNull(factory);
    }

    private StaticClient(Func<HttpClient> cdn, Func<HttpClient> api, StaticClientOptions options, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(nameof(StaticClientOptions), typeof(StaticClientOptions), problems);
        }

        this.cdn = cdn;
        this.api = api;
        this.options = options;
        cdnBase = options.CdnBaseUrl!;
        apiBase = options.ApiBaseUrl!;
        time = timeProvider ?? TimeProvider.System;
        store = new VerifiedStore(options.CacheDirectory);
        Load();
    }

    /// <summary>
    /// Raised for every fallback, rejection and unverified answer (see <see cref="StaticClientNoticeKind"/>).
    /// Raised on the thread that did the work; keep handlers short.
    /// </summary>
    public event EventHandler<StaticClientNoticeEventArgs>? Notice;

    /// <summary>The manifest version held, or null before the first root (or while the format is unknown).</summary>
    public long? Version
    {
        get
        {
            lock (sync)
            {
                return manifestDisabled ? null : root?.Version;
            }
        }
    }

    /// <summary>False when the last root had a format this client does not know: reads then go to stable paths, unverified.</summary>
    public bool ManifestInUse
    {
        get
        {
            lock (sync)
            {
                return !manifestDisabled && root is not null;
            }
        }
    }

    /// <summary>The shards held (those of the paths read): what the change feed watches.</summary>
    public IReadOnlyCollection<string> HeldShards
    {
        get
        {
            lock (sync)
            {
                return [.. shards.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary><c>/home.json</c>, or null when nothing is published there.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<HomeDocument?> GetHomeAsync(CancellationToken cancellationToken = default) =>
        GetDocumentAsync("/home.json", ClientJsonContext.Default.HomeDocument, cancellationToken);

    /// <summary><c>/config.json</c>, or null when nothing is published there.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<ConfigDocument?> GetConfigAsync(CancellationToken cancellationToken = default) =>
        GetDocumentAsync("/config.json", ClientJsonContext.Default.ConfigDocument, cancellationToken);

    /// <summary><c>/products/{id}.json</c>, or null when there is no such product.</summary>
    /// <param name="id">The product id (1 or more).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<ProductDocument?> GetProductAsync(long id, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(id, 1);
        return GetDocumentAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"/products/{id}.json"), ClientJsonContext.Default.ProductDocument, cancellationToken);
    }

    /// <summary>The first listing page of a category, <c>/categories/{slug}/1.json</c>, or null when there is no such category.</summary>
    /// <param name="slug">The category's slug (lower-case letters, digits and dashes).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<CategoryPageDocument?> GetCategoryAsync(string slug, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(slug);
        if (!SlugPattern().IsMatch(slug))
        {
            throw new ArgumentException($"'{slug}' is not a category slug (lower-case letters, digits and dashes, at most 120).", nameof(slug));
        }

        return GetDocumentAsync($"/categories/{slug}/1.json", ClientJsonContext.Default.CategoryPageDocument, cancellationToken);
    }

    /// <summary>
    /// A stable path's bytes, verified against the manifest entry (see the class remarks for the fallback rule),
    /// or null when neither the CDN nor the Api has anything at that path. The first read after a start, and any
    /// read once the held root is older than <see cref="StaticClientOptions.RefreshInterval"/>, refreshes first.
    /// </summary>
    /// <param name="stablePath">A path starting with <c>/</c>, such as <c>/products/12.json</c> or <c>/index.html</c>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="StaticClientException">Neither the CDN, the Api nor the cache could answer.</exception>
    public async Task<StaticContent?> GetAsync(string stablePath, CancellationToken cancellationToken = default)
    {
        CheckPath(stablePath);
        await EnsureFreshAsync(cancellationToken).ConfigureAwait(false);
        ManifestRoot? current;
        bool disabled;
        lock (sync)
        {
            current = root;
            disabled = manifestDisabled;
        }

        if (disabled)
        {
            return await ReadUnverifiedAsync(stablePath, StaticClientNoticeKind.UnknownFormat, "the manifest's format is unknown to this client", null, cancellationToken).ConfigureAwait(false);
        }

        if (current is null)
        {
            return await ReadUnverifiedAsync(stablePath, StaticClientNoticeKind.NotInManifest, "no manifest could be fetched", null, cancellationToken).ConfigureAwait(false);
        }

        var (sha256, shardUnavailable) = await FindEntryAsync(current, stablePath, cancellationToken).ConfigureAwait(false);
        if (sha256 is null)
        {
            if (shardUnavailable && HeldCopy(stablePath, current) is { } copy)
            {
                Report(StaticClientNoticeKind.OlderVerifiedCopyUsed, stablePath, "its shard could not be fetched; served the verified copy held", current.Version);
                return copy;
            }

            return await ReadUnverifiedAsync(stablePath, StaticClientNoticeKind.NotInManifest,
                shardUnavailable ? "its shard could not be fetched" : "it is in no shard of manifest version " + current.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                current.Version, cancellationToken).ConfigureAwait(false);
        }

        if (store.TryRead(sha256, out var cached))
        {
            await RememberAsync(stablePath, sha256, cancellationToken).ConfigureAwait(false);
            return new StaticContent(stablePath, cached, true, true, ContentSource.Cache, sha256, current.Version);
        }

        var answer = await FetchEntryAsync(current, stablePath, sha256, cancellationToken).ConfigureAwait(false);
        if (answer.Verified)
        {
            await store.WriteAsync(sha256, answer.Body!, cancellationToken).ConfigureAwait(false);
            await RememberAsync(stablePath, sha256, cancellationToken).ConfigureAwait(false);
            return new StaticContent(stablePath, answer.Body!, true, true, answer.Source, sha256, current.Version);
        }

        if (HeldCopy(stablePath, current) is { } older)
        {
            Report(StaticClientNoticeKind.OlderVerifiedCopyUsed, stablePath,
                "the current entry's bytes could not be had verified; served the verified copy of an earlier version", current.Version);
            return older;
        }

        if (answer.Body is { } unverified)
        {
            Report(StaticClientNoticeKind.UnverifiedApiAnswerUsed, stablePath,
                "the Api's answer does not match the manifest entry (the Api may be ahead of the last publish) and no verified copy is held: used it unverified", current.Version);
            return new StaticContent(stablePath, unverified, false, false, ContentSource.Api, ContentHash.Sha256(unverified), current.Version);
        }

        if (answer.NotFound)
        {
            return null;
        }

        throw new StaticClientException($"{stablePath}: neither the CDN nor the Api answered with its bytes, and no verified copy is held ({answer.Error}).");
    }

    /// <summary>
    /// Makes one conditional request for <c>/manifest.json</c> (CDN, then the Api). On a new version, fetches
    /// only the held shards whose hash changed and, in them, only the held entries whose hash changed (from their
    /// immutable URLs, verified). Never throws for network trouble: it reports
    /// <see cref="StaticClientNoticeKind.RefreshFailed"/> and keeps the version held (a version is adopted whole
    /// or not at all).
    /// </summary>
    /// <param name="cancellationToken">Cancels the refresh.</param>
    /// <returns>The change when a newer version was adopted (its <see cref="ManifestChange.ChangedPaths"/> may be empty); null otherwise.</returns>
    public async Task<ManifestChange?> RefreshAsync(CancellationToken cancellationToken = default)
    {
        await refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RefreshCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            refreshGate.Release();
        }
    }

    /// <summary>
    /// The change feed: refreshes now and then every <see cref="StaticClientOptions.RefreshInterval"/>, and yields
    /// one <see cref="ManifestChange"/> per adopted version that changed at least one watched path (a path in a
    /// shard the client holds: the shards of the paths it has read). Changes found by other refreshes (reads,
    /// <see cref="RefreshAsync"/>) are yielded too. Ends only by cancellation.
    /// </summary>
    /// <param name="cancellationToken">Stops the feed.</param>
    public async IAsyncEnumerable<ManifestChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<ManifestChange>(new UnboundedChannelOptions { SingleReader = true });
        lock (sync)
        {
            subscribers.Add(channel);
        }

        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
                while (channel.Reader.TryRead(out var change))
                {
                    yield return change;
                }

                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    var delay = Task.Delay(options.RefreshInterval, time, wait.Token);
                    var arrival = channel.Reader.WaitToReadAsync(wait.Token).AsTask();
                    await Task.WhenAny(delay, arrival).ConfigureAwait(false);
                    await wait.CancelAsync().ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
                while (channel.Reader.TryRead(out var change))
                {
                    yield return change;
                }
            }
        }
        finally
        {
            lock (sync)
            {
                subscribers.Remove(channel);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (sync)
        {
            foreach (var channel in subscribers)
            {
                channel.Writer.TryComplete();
            }

            subscribers.Clear();
        }

        refreshGate.Dispose();
        saveGate.Dispose();
    }

    private async Task<T?> GetDocumentAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        var content = await GetAsync(path, cancellationToken).ConfigureAwait(false);
        return content is null ? null : JsonSerializer.Deserialize(content.Body.Span, type);
    }

    private async Task EnsureFreshAsync(CancellationToken cancellationToken)
    {
        bool due;
        lock (sync)
        {
            due = !refreshedOnce || time.GetElapsedTime(lastRefresh) >= options.RefreshInterval;
        }

        if (due)
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ManifestChange?> RefreshCoreAsync(CancellationToken cancellationToken)
    {
        string? etag;
        ManifestRoot? old;
        bool wasDisabled;
        Dictionary<string, HeldShard> heldShards;
        lock (sync)
        {
            etag = rootETag;
            old = root;
            wasDisabled = manifestDisabled;
            heldShards = new Dictionary<string, HeldShard>(shards, StringComparer.Ordinal);
        }

        var fetched = await FetchRootAsync(etag, cancellationToken).ConfigureAwait(false);
        lock (sync)
        {
            // Even a failed attempt counts: reads during an outage must not each wait for a refresh.
            lastRefresh = time.GetTimestamp();
            refreshedOnce = true;
        }

        if (fetched.Status == HttpStatusCode.NotModified)
        {
            return null;
        }

        if (fetched.Status != HttpStatusCode.OK || fetched.Body is null)
        {
            Report(StaticClientNoticeKind.RefreshFailed, ManifestPath, $"neither the CDN nor the Api served the manifest ({fetched.Error}); keeping the version held", old?.Version);
            return null;
        }

        var format = ManifestLogic.ReadFormat(fetched.Body);
        if (format != ManifestLogic.SupportedFormat)
        {
            lock (sync)
            {
                manifestDisabled = true;
                rootETag = fetched.ETag;
                rootBytes = fetched.Body;
            }

            if (!wasDisabled)
            {
                Report(StaticClientNoticeKind.UnknownFormat, ManifestPath,
                    $"the manifest's format is {(format is { } f ? f.ToString(System.Globalization.CultureInfo.InvariantCulture) : "missing")}, this client knows {ManifestLogic.SupportedFormat}: reading stable paths only, unverified",
                    old?.Version);
            }

            await SaveAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }

        var next = ManifestLogic.ParseRoot(fetched.Body);
        if (next is null)
        {
            Report(StaticClientNoticeKind.RefreshFailed, ManifestPath, "the manifest could not be parsed; keeping the version held", old?.Version);
            return null;
        }

        if (old is not null && next.Version < old.Version)
        {
            Report(StaticClientNoticeKind.RefreshFailed, ManifestPath,
                $"a manifest older than the one held came back (version {next.Version} < {old.Version}); ignored", old.Version);
            return null;
        }

        if (old is not null && next.Version == old.Version && !wasDisabled)
        {
            lock (sync)
            {
                rootETag = fetched.ETag ?? rootETag;
            }

            await SaveAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }

        var plan = ManifestLogic.PlanShards(heldShards, next);
        var adopted = new Dictionary<string, HeldShard>(heldShards, StringComparer.Ordinal);
        var changed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in plan.Removed)
        {
            changed.UnionWith(heldShards[name].Shard.Entries.Keys);
            adopted.Remove(name);
        }

        foreach (var (name, hash) in plan.Changed)
        {
            var shard = await LoadShardAsync(next, name, hash, cancellationToken).ConfigureAwait(false);
            if (shard is null)
            {
                Report(StaticClientNoticeKind.RefreshFailed, name, $"shard {name} of version {next.Version} could not be fetched verified; keeping version {old?.Version}", old?.Version);
                return null;
            }

            changed.UnionWith(ManifestLogic.ChangedPaths(heldShards[name].Shard, shard.Shard));
            adopted[name] = shard;
        }

        Dictionary<string, string> heldNow;
        var dropped = new List<string>();
        lock (sync)
        {
            root = next;
            rootETag = fetched.ETag;
            rootBytes = fetched.Body;
            manifestDisabled = false;
            shards = adopted;
            foreach (var path in changed)
            {
                // A path gone from every held shard was removed (a deleted product): drop it.
                if (held.TryGetValue(path, out var sha) && !adopted.Values.Any(s => s.Shard.Entries.ContainsKey(path)))
                {
                    held.Remove(path);
                    if (!held.ContainsValue(sha))
                    {
                        dropped.Add(sha);
                    }
                }
            }

            heldNow = new Dictionary<string, string>(held, StringComparer.Ordinal);
        }

        foreach (var sha in dropped)
        {
            store.Delete(sha);
        }

        foreach (var name in plan.Removed.Concat(plan.Changed.Keys))
        {
            store.DeleteShard(name, heldShards[name].Hash);
        }

        foreach (var name in plan.Changed.Keys)
        {
            foreach (var (path, sha) in ManifestLogic.EntriesToFetch(heldNow, adopted[name].Shard))
            {
                var answer = await FetchEntryAsync(next, path, sha, cancellationToken).ConfigureAwait(false);
                if (answer.Verified)
                {
                    await store.WriteAsync(sha, answer.Body!, cancellationToken).ConfigureAwait(false);
                    await RememberAsync(path, sha, cancellationToken, save: false).ConfigureAwait(false);
                }

                // Otherwise the verified copy held stays; a read tries again.
            }
        }

        await SaveAsync(cancellationToken).ConfigureAwait(false);
        if (old is null)
        {
            return null;
        }

        var result = new ManifestChange(next.Version, old.Version, [.. changed]);
        if (result.ChangedPaths.Count > 0)
        {
            lock (sync)
            {
                foreach (var channel in subscribers)
                {
                    channel.Writer.TryWrite(result);
                }
            }
        }

        return result;
    }

    /// <summary>The entry for a path in the root given, fetching (and so watching) its shard if it is not held.</summary>
    private async Task<(string? Sha256, bool ShardUnavailable)> FindEntryAsync(ManifestRoot current, string path, CancellationToken cancellationToken)
    {
        var unavailable = false;
        foreach (var name in ManifestLogic.CandidateShards(path, current, options.ProductsPerShard))
        {
            var hash = current.Shards[name];
            HeldShard? shard;
            lock (sync)
            {
                shards.TryGetValue(name, out shard);
            }

            if (shard is null || !string.Equals(shard.Hash, hash, StringComparison.Ordinal))
            {
                shard = await LoadShardAsync(current, name, hash, cancellationToken).ConfigureAwait(false);
                if (shard is null)
                {
                    unavailable = true;
                    continue;
                }

                var adopted = false;
                lock (sync)
                {
                    // Only into the version it belongs to: a refresh may have moved on meanwhile.
                    if (ReferenceEquals(root, current) && !shards.ContainsKey(name))
                    {
                        shards[name] = shard;
                        adopted = true;
                    }
                }

                if (adopted)
                {
                    await SaveAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            if (shard.Shard.Entries.TryGetValue(path, out var sha) && VerifiedStore.IsSha256(sha))
            {
                return (sha, false);
            }
        }

        return (null, unavailable);
    }

    /// <summary>
    /// A shard from the disk cache, else from the CDN, else from the Api (which serves the live version's shards);
    /// verified against its hash whichever answered.
    /// </summary>
    private async Task<HeldShard?> LoadShardAsync(ManifestRoot current, string name, string hash, CancellationToken cancellationToken)
    {
        var bytes = store.ReadShard(name, hash);
        if (bytes is null)
        {
            var url = ManifestLogic.ShardUrl(current, name, hash);
            var fetched = await SendAsync(cdn, cdnBase, url, null, cancellationToken).ConfigureAwait(false);
            var fromCdn = fetched.Status == HttpStatusCode.OK && fetched.Body is not null && ManifestLogic.VerifyShard(fetched.Body, hash);
            if (!fromCdn)
            {
                Report(fetched.Status == HttpStatusCode.OK ? StaticClientNoticeKind.HashMismatch : StaticClientNoticeKind.CdnFailed, url,
                    fetched.Status == HttpStatusCode.OK ? "the shard's bytes do not hash to its name: rejected; asking the Api" : $"the CDN did not serve the shard ({fetched.Error}); asking the Api", current.Version);
                fetched = await SendAsync(api, apiBase, url, null, cancellationToken).ConfigureAwait(false);
                if (fetched.Status != HttpStatusCode.OK || fetched.Body is null)
                {
                    Report(StaticClientNoticeKind.RefreshFailed, url, $"the Api did not serve the shard either ({fetched.Error}); it serves only the live version's", current.Version);
                    return null;
                }

                if (!ManifestLogic.VerifyShard(fetched.Body, hash))
                {
                    Report(StaticClientNoticeKind.HashMismatch, url, "the Api's shard does not hash to its name: rejected", current.Version);
                    return null;
                }
            }

            bytes = fetched.Body!;
            await store.WriteShardAsync(name, hash, bytes, cancellationToken).ConfigureAwait(false);
        }

        var shard = ManifestLogic.ParseShard(bytes);
        if (shard is null)
        {
            Report(StaticClientNoticeKind.RefreshFailed, name, "the shard is not a format-1 shard: ignored", current.Version);
        }

        return shard is null ? null : new HeldShard(hash, shard);
    }

    /// <summary>An entry's bytes: the immutable URL on the CDN, then the stable path on the Api; verified against <paramref name="sha256"/>.</summary>
    private async Task<EntryAnswer> FetchEntryAsync(ManifestRoot current, string path, string sha256, CancellationToken cancellationToken)
    {
        var url = ManifestLogic.ImmutableUrl(current, sha256, path);
        var fromCdn = await SendAsync(cdn, cdnBase, url, null, cancellationToken).ConfigureAwait(false);
        if (fromCdn.Status == HttpStatusCode.OK && fromCdn.Body is not null)
        {
            if (ManifestLogic.Verify(fromCdn.Body, sha256))
            {
                return new EntryAnswer(true, fromCdn.Body, ContentSource.Cdn, false, null);
            }

            Report(StaticClientNoticeKind.HashMismatch, url, $"the CDN's bytes for {path} do not hash to {sha256}: rejected; asking the Api", current.Version);
        }
        else
        {
            Report(StaticClientNoticeKind.CdnFailed, url, $"the CDN did not serve {path} ({fromCdn.Error}); asking the Api", current.Version);
        }

        var fromApi = await SendAsync(api, apiBase, path, null, cancellationToken).ConfigureAwait(false);
        if (fromApi.Status == HttpStatusCode.OK && fromApi.Body is not null)
        {
            return ManifestLogic.Verify(fromApi.Body, sha256)
                ? new EntryAnswer(true, fromApi.Body, ContentSource.Api, false, null)
                : new EntryAnswer(false, fromApi.Body, ContentSource.Api, false, "the Api's bytes do not match");
        }

        return new EntryAnswer(false, null, ContentSource.Api, fromApi.Status == HttpStatusCode.NotFound, "the Api: " + fromApi.Error);
    }

    /// <summary>A stable path with no manifest entry to check it against: CDN, then the Api; reported as unverified.</summary>
    private async Task<StaticContent?> ReadUnverifiedAsync(string path, StaticClientNoticeKind kind, string why, long? version, CancellationToken cancellationToken)
    {
        var fetched = await SendAsync(cdn, cdnBase, path, null, cancellationToken).ConfigureAwait(false);
        var source = ContentSource.Cdn;
        if (fetched.Status is null || (int)fetched.Status >= 500)
        {
            Report(StaticClientNoticeKind.CdnFailed, path, $"the CDN did not serve {path} ({fetched.Error}); asking the Api", version);
            fetched = await SendAsync(api, apiBase, path, null, cancellationToken).ConfigureAwait(false);
            source = ContentSource.Api;
        }

        if (fetched.Status == HttpStatusCode.OK && fetched.Body is not null)
        {
            Report(kind, path, $"{path} read from its stable path unverified: {why}", version);
            return new StaticContent(path, fetched.Body, false, false, source, ContentHash.Sha256(fetched.Body), version);
        }

        if (fetched.Status == HttpStatusCode.NotFound)
        {
            return null;
        }

        // Offline: the last verified copy beats nothing.
        string? sha;
        lock (sync)
        {
            held.TryGetValue(path, out sha);
        }

        if (sha is not null && store.TryRead(sha, out var body))
        {
            Report(StaticClientNoticeKind.OlderVerifiedCopyUsed, path, $"{path} could not be read ({fetched.Error}); served the verified copy held", version);
            return new StaticContent(path, body, true, false, ContentSource.Cache, sha, version);
        }

        throw new StaticClientException($"{path}: neither the CDN nor the Api answered ({fetched.Error}), and no verified copy is held.");
    }

    private async Task<Fetched> FetchRootAsync(string? etag, CancellationToken cancellationToken)
    {
        var fetched = await SendAsync(cdn, cdnBase, ManifestPath, etag, cancellationToken).ConfigureAwait(false);
        if (fetched.Status is HttpStatusCode.OK or HttpStatusCode.NotModified)
        {
            return fetched;
        }

        Report(StaticClientNoticeKind.CdnFailed, ManifestPath, $"the CDN did not serve the manifest ({fetched.Error}); asking the Api", null);
        return await SendAsync(api, apiBase, ManifestPath, etag, cancellationToken).ConfigureAwait(false);
    }

    private StaticContent? HeldCopy(string path, ManifestRoot current)
    {
        string? sha;
        lock (sync)
        {
            held.TryGetValue(path, out sha);
        }

        return sha is not null && store.TryRead(sha, out var body)
            ? new StaticContent(path, body, true, false, ContentSource.Cache, sha, current.Version)
            : null;
    }

    private async Task RememberAsync(string path, string sha256, CancellationToken cancellationToken, bool save = true)
    {
        string? obsolete = null;
        bool changed;
        lock (sync)
        {
            held.TryGetValue(path, out var old);
            changed = !string.Equals(old, sha256, StringComparison.Ordinal);
            held[path] = sha256;
            if (old is not null && changed && !held.ContainsValue(old))
            {
                obsolete = old;
            }
        }

        if (obsolete is not null)
        {
            store.Delete(obsolete);
        }

        if (changed && save)
        {
            await SaveAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Load()
    {
        var state = store.LoadState();
        if (state is null)
        {
            return;
        }

        var bytes = state.Root is null ? null : Encoding.UTF8.GetBytes(state.Root);
        var loadedRoot = bytes is null ? null : ManifestLogic.ParseRoot(bytes);
        rootETag = state.RootETag;
        rootBytes = bytes;
        manifestDisabled = state.ManifestDisabled;
        root = manifestDisabled ? null : loadedRoot;
        if (!manifestDisabled && root is null)
        {
            rootETag = null;   // an unreadable root: fetch it whole
        }

        if (root is not null)
        {
            foreach (var (name, hash) in state.Shards)
            {
                // Only shards of the root held, and only if their file still hashes to their name.
                if (root.Shards.TryGetValue(name, out var live) && live == hash && store.ReadShard(name, hash) is { } shardBytes
                    && ManifestLogic.ParseShard(shardBytes) is { } shard)
                {
                    shards[name] = new HeldShard(hash, shard);
                }
            }
        }

        foreach (var (path, sha) in state.Held)
        {
            if (VerifiedStore.IsSha256(sha))
            {
                held[path] = sha;
            }
        }
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        if (!store.OnDisk)
        {
            return;
        }

        await saveGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            PersistedState state;
            lock (sync)
            {
                state = new PersistedState(
                    VerifiedStore.StateFormat, rootETag, rootBytes is null ? null : Encoding.UTF8.GetString(rootBytes), manifestDisabled,
                    shards.ToDictionary(s => s.Key, s => s.Value.Hash, StringComparer.Ordinal),
                    new Dictionary<string, string>(held, StringComparer.Ordinal));
            }

            await store.SaveStateAsync(state, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            saveGate.Release();
        }
    }

    private static async Task<Fetched> SendAsync(Func<HttpClient> client, Uri baseUrl, string path, string? ifNoneMatch, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + path, UriKind.Absolute));
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        try
        {
            using var response = await client().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var etag = response.Headers.ETag?.ToString();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return new Fetched(response.StatusCode, null, etag, $"{(int)response.StatusCode} from {request.RequestUri!.Authority}");
            }

            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return new Fetched(response.StatusCode, body, etag, null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested
            && e is HttpRequestException or OperationCanceledException or IOException or Polly.ExecutionRejectedException)
        {
            return new Fetched(null, null, null, $"{e.GetType().Name} from {request.RequestUri!.Authority}: {e.Message}");
        }
    }

    private void Report(StaticClientNoticeKind kind, string? path, string message, long? version) =>
        Notice?.Invoke(this, new StaticClientNoticeEventArgs(kind, path, message, version));

    private static void CheckPath(string stablePath)
    {
        ArgumentNullException.ThrowIfNull(stablePath);
        if (stablePath.Length is < 2 or > 300 || stablePath[0] != '/' || stablePath.Contains("..", StringComparison.Ordinal)
            || stablePath.AsSpan().IndexOfAny("?#\\ ") >= 0 || stablePath.StartsWith("//", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{stablePath}' is not a stable path (it starts with '/', like /products/12.json).", nameof(stablePath));
        }
    }

    [GeneratedRegex("^[a-z0-9-]{1,120}$", RegexOptions.CultureInvariant)]
    private static partial Regex SlugPattern();

    private sealed record Fetched(HttpStatusCode? Status, byte[]? Body, string? ETag, string? Error);

    private sealed record EntryAnswer(bool Verified, byte[]? Body, ContentSource Source, bool NotFound, string? Error);
}
