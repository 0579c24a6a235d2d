using System.Diagnostics;

namespace SocketExporter.Scraping;

/// <summary>
/// When a collection must stop reading: a Stopwatch timestamp, absolute from the first request (time spent waiting for
/// the previous collection counts against it). It never moves: a request that joins later gets what the collection
/// gives by then, or waits for a collection of its own (<see cref="PendingCollection.TryJoin"/>).
/// </summary>
internal sealed class ReadingDeadline(long timestamp)
{
    public long Timestamp => timestamp;

    /// <summary>Asked by the snapshot builder between processes and namespaces.</summary>
    public bool Passed => Stopwatch.GetTimestamp() > timestamp;
}
