using Prometheus;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Scraping;

/// <summary>One finished collection: a registry that is never modified again (so concurrent requests can
/// share it), or the reason nothing could be collected.</summary>
public sealed record ScrapeResult(CollectorRegistry? Registry, ScrapeSnapshot? Snapshot, string? Failure, DateTime CompletedUtc);
