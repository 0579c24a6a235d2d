using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Sampling;

/// <summary>What one scrape takes from the samples: the accept-queue peaks and the listener changes since the last take.</summary>
public sealed record ListenerSamples(IReadOnlyDictionary<ListenerKey, long> Peaks, IReadOnlyList<ListenerChange> Changes);

/// <summary>
/// The state kept between scrapes from looks at the listening table (the sampler's own dumps, and scrapes' snapshots
/// for namespaces the sampler does not reach): per namespace, the listening sockets of the last look (by inode), so
/// the next look tells which appeared and which went away; and per address:port the highest accept queue seen (summed
/// over SO_REUSEPORT sockets, as socket_listen_queue_length) since the last <see cref="Take"/>. Thread-safe: the
/// sampler thread records, the scrape takes.
/// </summary>
public sealed class ListenerSampleState
{
    // A host where listeners churn faster than scrapes take them must not grow without end: beyond this, changes are
    // dropped and counted (Dropped), never silently.
    public const int MaxPendingChanges = 100_000;

    private readonly object _lock = new();
    private readonly Dictionary<ulong, Dictionary<ulong, ushort>> _live = [];   // netns → inode → port
    private readonly HashSet<ulong> _sampled = [];   // namespaces the sampler has recorded: scrapes no longer do
    private Dictionary<ListenerKey, long> _peaks = [];
    private List<ListenerChange> _changes = [];
    private long _samples, _dropped;

    public long Samples => Interlocked.Read(ref _samples);
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Records the sampler's look at <paramref name="netns"/>'s TCP listeners (other entries are skipped). The
    /// first look at a namespace is the baseline: its listeners were there before, not opened. From then on the
    /// namespace is the sampler's: scrapes' snapshots of it are no longer recorded (<see cref="RecordFromScrape"/>).</summary>
    public void Record(ulong netns, IReadOnlyList<SocketEntry> sockets) => Record(netns, sockets, fromScrape: false);

    /// <summary>Records a scrape's snapshot of <paramref name="netns"/>, unless the sampler has looked at it: a snapshot
    /// read before the sampler's latest look, recorded after it, would reopen a listener the sampler already saw close.
    /// Its peaks count either way (they were seen). Returns whether the listeners were recorded.</summary>
    public bool RecordFromScrape(ulong netns, IReadOnlyList<SocketEntry> sockets) => Record(netns, sockets, fromScrape: true);

    private bool Record(ulong netns, IReadOnlyList<SocketEntry> sockets, bool fromScrape)
    {
        var now = new Dictionary<ulong, ushort>();
        var queues = new Dictionary<ListenerKey, long>();
        foreach (SocketEntry s in sockets)
        {
            if (s.Protocol != SocketProtocol.Tcp || s.State != SocketState.Listen)
                continue;
            now[s.Inode] = s.LocalPort;   // dumps are not atomic: a socket seen twice is one
            var key = ListenerKey.Of(netns, s);
            queues[key] = queues.GetValueOrDefault(key) + s.ReceiveQueue;
        }
        lock (_lock)
        {
            foreach ((ListenerKey key, long length) in queues)
                if (!_peaks.TryGetValue(key, out long peak) || length > peak)
                    _peaks[key] = length;
            if (fromScrape && _sampled.Contains(netns))
                return false;
            if (!fromScrape)
                _sampled.Add(netns);
            Interlocked.Increment(ref _samples);
            if (_live.TryGetValue(netns, out var before))
            {
                foreach ((ulong inode, ushort port) in now)
                    if (!before.ContainsKey(inode))
                        Add(new(netns, inode, port, Opened: true));
                foreach ((ulong inode, ushort port) in before)
                    if (!now.ContainsKey(inode))
                        Add(new(netns, inode, port, Opened: false));
            }
            _live[netns] = now;
            return true;
        }
    }

    private void Add(ListenerChange change)
    {
        if (_changes.Count < MaxPendingChanges)
            _changes.Add(change);
        else
            Interlocked.Increment(ref _dropped);
    }

    /// <summary>Whether the last look at <paramref name="netns"/> saw socket <paramref name="inode"/> listening.</summary>
    public bool IsLive(ulong netns, ulong inode)
    {
        lock (_lock)
            return _live.TryGetValue(netns, out var live) && live.ContainsKey(inode);
    }

    /// <summary>Forgets namespaces not in <paramref name="keep"/> (gone since): their listeners went with them, uncounted.</summary>
    public void Retain(IReadOnlySet<ulong> keep)
    {
        lock (_lock)
        {
            foreach (ulong netns in _live.Keys.Where(n => !keep.Contains(n)).ToList())
                _live.Remove(netns);
            _sampled.IntersectWith(keep);
        }
    }

    /// <summary>The peaks and changes since the last take; starts new ones (each scrape resets the peaks).</summary>
    public ListenerSamples Take()
    {
        lock (_lock)
        {
            var taken = new ListenerSamples(_peaks, _changes);
            _peaks = [];
            _changes = [];
            return taken;
        }
    }
}
