using SocketExporter.Linux.Events;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Events;

/// <summary>
/// Live + closed accounting of payload bytes and retransmits (README, "Live and closed"): at each scrape every connected
/// socket's tcp_info gives its totals so far; what they moved since the connection was last counted goes into
/// <see cref="ConnectionEventCounters"/>, and at its destroy event the final totals less what was counted. Each
/// connection's contribution therefore moves from live to closed without the counter going back or counting twice, in
/// whichever order the scrape's reading and the event are processed (tcp_info counters only grow, and what was counted
/// is kept as the larger of the two).
/// <para>Which bytes count: those moved after the exporter began watching. A namespace's connections at its first
/// reading are a baseline (counted from then on) when the namespace existed at the exporter's previous scrape or this is
/// the first scrape; any connection not in the previous reading of a read namespace was born since, and counts whole.</para>
/// <para>Memory: one entry per connection of the last reading (its cookie, label set and what was counted), plus the
/// connections destroyed while a scrape was being read, kept until the next scrape so that a reading taken before the
/// close cannot count them again.</para>
/// </summary>
public sealed class TcpTrafficTracker(ConnectionEventCounters counters)
{
    // Connections that closed unseen are remembered only until the next scrape; a burst beyond this many within one scrape's
    // reading is not remembered (such a connection, if the in-flight reading caught it, would count twice).
    private const int MaxUnseenClosed = 100_000;

    private sealed class Tracked(ConnectionEventKey key, ulong netns, TcpTraffic counted)
    {
        public ConnectionEventKey Key = key;
        public readonly ulong Netns = netns;
        public TcpTraffic Counted = counted;
        public long ClosedAtMs = -1;   // Environment.TickCount64 when its destroy event was counted; -1 while live
        public bool Closed => ClosedAtMs >= 0;
    }

    private readonly object _lock = new();
    private Dictionary<ulong, Tracked> _connections = [];   // by cookie (unique for the boot, host-wide)
    private HashSet<ulong> _measured = [];   // namespaces read with tcp_info at least once, still present
    private HashSet<ulong> _previous = [];   // namespaces of the previous scrape
    private bool _started;
    private int _unseenClosed;
    private long _unfinished;
    private Dictionary<ConnectionEventKey, (double Seconds, long Connections)> _rtt = [];

    /// <summary>Connections that left the table with no destroy event counted (lost to a full event buffer, or closed
    /// before their namespace's subscription existed): what they moved since the last scrape is not counted.</summary>
    public long Unfinished { get { lock (_lock) return _unfinished; } }

    /// <summary>Smoothed RTT summed over the established connections of each label set at the last scrape, and how many.</summary>
    public IReadOnlyDictionary<ConnectionEventKey, (double Seconds, long Connections)> Rtt { get { lock (_lock) return _rtt; } }

    /// <summary>Brings the live totals up to <paramref name="snapshot"/>; <paramref name="attribution"/> is built from it.
    /// Call after the events queued before the scrape were drained.</summary>
    public void Observe(ScrapeSnapshot snapshot, ConnectionAttribution attribution)
    {
        lock (_lock)
        {
            var next = new Dictionary<ulong, Tracked>(_connections.Count);
            var measured = new HashSet<ulong>();
            var carried = new HashSet<ulong>();   // measured before, not read with tcp_info this time
            var present = new Dictionary<ulong, long>(snapshot.Namespaces.Count);   // inode -> when its tables were dumped
            var rtt = new Dictionary<ConnectionEventKey, (double, long)>();
            var sockets = new Dictionary<ulong, SocketEntry>();
            foreach (NetNsSnapshot ns in snapshot.Namespaces)
            {
                present[ns.Inode] = ns.TcpInfoDumpedAtMs;
                if (!ns.TcpInfoComplete)
                {
                    if (_measured.Contains(ns.Inode))
                    {
                        measured.Add(ns.Inode);   // its entries are kept below, as of its last reading
                        carried.Add(ns.Inode);
                    }
                    continue;
                }
                bool baseline = !_measured.Contains(ns.Inode) && (!_started || _previous.Contains(ns.Inode));
                measured.Add(ns.Inode);
                sockets.Clear();
                foreach (SocketEntry s in ns.Sockets)
                    if (s.Protocol == SocketProtocol.Tcp && s.Cookie != 0)
                        sockets[s.Cookie] = s;
                foreach (TcpInfoEntry e in ns.TcpInfo)
                {
                    if (!sockets.TryGetValue(e.Cookie, out SocketEntry s))
                        continue;   // dropped as a duplicate or bound-only socket
                    TcpTraffic now = TcpTraffic.Live(e);
                    if (_connections.TryGetValue(e.Cookie, out Tracked? t))
                    {
                        if (t.Closed)
                        {
                            // Read before its close was counted: the final totals already include this reading.
                            next[e.Cookie] = t;
                            continue;
                        }
                        if (attribution.Attribute(ns.Inode, AsEvent(s, e.Info)) is { Failure: false } key)
                            t.Key = key;   // the holder may have changed (an accepted connection, a passed descriptor)
                        counters.AddTraffic(t.Key, now.Since(t.Counted));
                        t.Counted = now.Max(t.Counted);
                        next[e.Cookie] = t;
                    }
                    else if (attribution.Attribute(ns.Inode, AsEvent(s, e.Info)) is { Failure: false } key)
                    {
                        // Not yet established (SYN_SENT has nothing delivered) is left for a later scrape, and then counted whole.
                        if (!baseline)
                            counters.AddTraffic(key, now);
                        next[e.Cookie] = new Tracked(key, ns.Inode, now);
                    }
                    else
                        continue;
                    if (s.State == SocketState.Established && e.Info.HasRtt && e.Info.RttMicroseconds > 0)
                    {
                        ConnectionEventKey k = next[e.Cookie].Key;
                        rtt.TryGetValue(k, out var sum);
                        rtt[k] = (sum.Item1 + e.Info.RttMicroseconds / 1e6, sum.Item2 + 1);
                    }
                }
            }

            int unseenClosed = 0;
            foreach ((ulong cookie, Tracked t) in _connections)
            {
                if (next.ContainsKey(cookie))
                    continue;
                bool nsPresent = present.TryGetValue(t.Netns, out long dumpedAtMs);
                if (t.Closed)
                {
                    // A close counted after the namespace's tables were dumped may still be in a reading in flight.
                    if (nsPresent && t.ClosedAtMs >= dumpedAtMs)
                    {
                        next[cookie] = t;
                        unseenClosed++;
                    }
                }
                else if (carried.Contains(t.Netns))
                    next[cookie] = t;   // its namespace was not read with tcp_info this time: kept as last read
                else
                    _unfinished++;      // gone without an event: its last bytes are not counted
            }
            _connections = next;
            _unseenClosed = unseenClosed;
            _measured = measured;
            _previous = [.. present.Keys];
            _rtt = rtt;
            _started = true;
        }
    }

    /// <summary>Counts a destroyed connection's final totals less what was counted of it. <paramref name="key"/> is the
    /// event's own attribution, used when no scrape saw the connection.</summary>
    public void OnDestroy(ulong netns, in TcpDestroyEvent ev, ConnectionEventKey? key)
    {
        lock (_lock)
        {
            if (!_started)
                return;
            TcpTraffic final = TcpTraffic.Final(ev.Info);
            if (_connections.TryGetValue(ev.Cookie, out Tracked? t))
            {
                if (t.Closed)
                    return;
                counters.AddTraffic(t.Key, final.Since(t.Counted));
                t.Counted = final.Max(t.Counted);
                t.ClosedAtMs = Environment.TickCount64;
                return;
            }
            // Born after the namespace's last reading (or before its first, when it is not read: then not counted at all).
            if (!_measured.Contains(netns) || key is not { Failure: false } k)
                return;
            counters.AddTraffic(k, final);
            if (_unseenClosed < MaxUnseenClosed)
            {
                _connections[ev.Cookie] = new Tracked(k, netns, final) { ClosedAtMs = Environment.TickCount64 };
                _unseenClosed++;
            }
        }
    }

    private static TcpDestroyEvent AsEvent(in SocketEntry s, in TcpFinalInfo info) =>
        new(s.Family, s.LocalAddress, s.LocalPort, s.RemoteAddress, s.RemotePort, s.Cookie, info);
}
