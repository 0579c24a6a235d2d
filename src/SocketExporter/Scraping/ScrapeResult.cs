using Prometheus;

namespace SocketExporter.Scraping;

/// <summary>One finished collection: a registry that is never modified again (so concurrent requests can
/// share it) and the listener table for the landing page, or the reason nothing could be collected. The snapshot
/// itself is not kept: its buffers are reused by the next collection.</summary>
public sealed record ScrapeResult(CollectorRegistry? Registry, IReadOnlyList<Collectors.ListenerRow>? Listeners, string? Failure, DateTime CompletedUtc)
{
    /// <summary>What the collection left unread at the scrape deadline (its series are partial), or null when nothing.</summary>
    public string? Partial { get; init; }
}
