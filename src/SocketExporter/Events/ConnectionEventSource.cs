using SocketExporter.Collectors;
using SocketExporter.Linux.Events;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Events;

/// <summary>Whether a namespace has a live subscription, and if not, why (a short, bounded reason).</summary>
public readonly record struct SubscriptionState(string Netns, string Reason, SubscriptionStats? Stats)
{
    public bool Subscribed => Stats is not null;
}

/// <summary>
/// The state kept between scrapes for the between-scrapes counters: the destroy-event listener and its subscriptions
/// (one per network namespace), the attribution of the last scrape, and the counters. Events are counted as they
/// arrive, on the listener's thread; a scrape first drains what is queued, then refreshes attribution and
/// subscriptions from its snapshot. Subscriptions follow the snapshot: a namespace the scrape found gets one (if setns
/// allows), a namespace no process is in any more loses it, since the open socket alone would keep it alive.
/// </summary>
public sealed class ConnectionEventSource : IDisposable
{
    // setns needs CAP_SYS_ADMIN; without it every attempt fails alike: ask again after a while, not every scrape.
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(5);

    private readonly ConnectionEventOptions _options;
    private readonly ListenerPortMemory _services = new();
    private readonly Dictionary<ulong, (string Reason, DateTime RetryAt)> _failed = [];
    private readonly Dictionary<ulong, string> _labels = [];
    private DestroyEventListener? _listener;
    private NamespaceSubscriber? _subscriber;
    private ConnectionAttribution _attribution = ConnectionAttribution.Empty;
    private ulong _own;

    public ConnectionEventSource(ConnectionEventOptions options, ConnectionEventCounters? counters = null)
    {
        _options = options;
        Counters = counters ?? new ConnectionEventCounters(options.MaxLabelSets);
        Traffic = new TcpTrafficTracker(Counters);
    }

    public ConnectionEventCounters Counters { get; }

    /// <summary>Live + closed bytes and retransmits: started by the first scrape whose snapshot carries tcp_info (the
    /// tcp_traffic collector asks for it); idle otherwise.</summary>
    public TcpTrafficTracker Traffic { get; }

    private ScrapeSnapshot? _observed;

    /// <summary>Events that were not connections (listeners, sockets never connected): received, not counted.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);
    private long _ignored;

    // Serializes the once-per-scrape work (Observe, ExportedTotals), which two collectors may ask for at once.
    private readonly object _perScrape = new();
    private (ScrapeSnapshot? Snapshot, List<KeyValuePair<ConnectionEventKey, ConnectionEventTotals>> Totals) _exported;

    /// <summary>The counters to export with <paramref name="snapshot"/>'s scrape: expired and copied once per scrape and
    /// shared by connection_events and tcp_traffic (up to 10,000 label sets), so both families show the same moment.
    /// Without a snapshot (tests), a fresh copy.</summary>
    public List<KeyValuePair<ConnectionEventKey, ConnectionEventTotals>> ExportedTotals(ScrapeSnapshot? snapshot)
    {
        lock (_perScrape)
        {
            if (snapshot is not null && ReferenceEquals(_exported.Snapshot, snapshot))
                return _exported.Totals;
            List<KeyValuePair<ConnectionEventKey, ConnectionEventTotals>> totals = Counters.ExpireAndCopy();
            _exported = (snapshot, totals);
            return totals;
        }
    }

    /// <summary>Brings the state up to this scrape, once per snapshot (connection_events and tcp_traffic both call it).
    /// connection_events prepares beside the other collectors (<see cref="ISnapshotCollector.PreparesBeside"/>), so
    /// tcp_traffic's call may come at the same time: the second caller waits for the first to finish, then finds the snapshot observed.</summary>
    public void Observe(ScrapeSnapshot snapshot)
    {
        lock (_perScrape)
            ObserveOnce(snapshot);
    }

    private void ObserveOnce(ScrapeSnapshot snapshot)
    {
        if (_options.Disabled is not null || ReferenceEquals(snapshot, _observed))
            return;
        _observed = snapshot;
        if (_listener is null)
        {
            _own = NamespaceSubscriber.OwnNamespaceInode();
            _listener = new DestroyEventListener(OnEvent);
            _subscriber = new NamespaceSubscriber(_options.ProcfsPath);
        }
        // Events queued before this scrape are attributed with what the previous scrape knew: the connections it saw.
        _listener.DrainAll();
        _services.Observe(snapshot);
        ConnectionAttribution attribution = ConnectionAttribution.Build(snapshot, _services);
        Volatile.Write(ref _attribution, attribution);
        if (snapshot.Namespaces.Any(n => n.TcpInfoComplete))
            Traffic.Observe(snapshot, attribution);
        UpdateSubscriptions(snapshot);
    }

    private void OnEvent(ulong netns, TcpDestroyEvent ev)
    {
        ConnectionEventKey? key = Volatile.Read(ref _attribution).Attribute(netns, ev);
        if (key is { } k)
            Counters.Count(k, ev);
        else
            Interlocked.Increment(ref _ignored);
        Traffic.OnDestroy(netns, ev, key);
    }

    private void UpdateSubscriptions(ScrapeSnapshot snapshot)
    {
        DestroyEventListener listener = _listener!;
        // A process in each namespace, to enter it through /proc/PID/ns/net.
        var members = new Dictionary<string, int>();
        foreach (ProcessEntry p in snapshot.Processes)
            if (p.NetNs.Length > 0)
                members.TryAdd(p.NetNs, p.Pid);

        var present = new HashSet<ulong>();   // namespaces whose subscription is kept
        var listed = new HashSet<ulong>();    // namespaces reported in the self-metrics
        var wanted = new List<(ulong Inode, int Pid)>();
        DateTime now = DateTime.UtcNow;
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            _labels[ns.Inode] = ns.Label;
            bool own = ns.Inode == _own || (_own == 0 && ns.IsHost);
            if (own)
            {
                present.Add(ns.Inode);
                listed.Add(ns.Inode);
                if (!listener.IsSubscribed(ns.Inode))
                    Open(NamespaceSubscriber.SubscribeOwn(ns.Inode));
                continue;
            }
            listed.Add(ns.Inode);
            if (!members.TryGetValue(ns.Label, out int pid))
            {
                // No process left in it (or only a /run/netns name): nothing to enter through, and a subscription of
                // ours would be what keeps it alive. Said, not silent.
                _failed[ns.Inode] = ("no_process", DateTime.MinValue);
                continue;
            }
            present.Add(ns.Inode);
            if (listener.IsSubscribed(ns.Inode))
                continue;
            if (!_options.OtherNamespaces)
                _failed[ns.Inode] = ("setns_disabled", DateTime.MaxValue);
            // Only a refusal (setns_denied, failed) waits: process_gone said nothing about the namespace, and the kernel
            // reuses a dead namespace's inode number at once, so a new namespace could inherit its 5-minute wait.
            else if (!_failed.TryGetValue(ns.Inode, out var failure) || now >= failure.RetryAt || failure.Reason is "no_process" or "process_gone")
                wanted.Add((ns.Inode, pid));
        }
        if (wanted.Count > 0)
            foreach (SubscribeResult r in _subscriber!.Subscribe(wanted))
                Open(r);

        foreach (ulong inode in listener.Subscribed)
            if (!present.Contains(inode))
                listener.Remove(inode);
        foreach (ulong inode in _failed.Keys.Where(k => !listed.Contains(k)).ToList())
            _failed.Remove(inode);
        foreach (ulong inode in _labels.Keys.Where(k => !listed.Contains(k)).ToList())
            _labels.Remove(inode);
    }

    private void Open(SubscribeResult r)
    {
        if (r.Subscription is not null)
        {
            _listener!.Add(r.Inode, r.Subscription);
            _failed.Remove(r.Inode);
            return;
        }
        _failed[r.Inode] = (r.Reason, DateTime.UtcNow + RetryAfterFailure);
    }

    /// <summary>Every namespace of the last scrape that has a subscription or could not get one.</summary>
    public IReadOnlyList<SubscriptionState> States()
    {
        var states = new List<SubscriptionState>();
        if (_listener is null)
            return states;
        foreach ((ulong inode, string label) in _labels)
        {
            if (_listener.Stats(inode) is { } stats)
                states.Add(new(label, "", stats));
            else if (_failed.TryGetValue(inode, out var failure))
                states.Add(new(label, failure.Reason, null));
        }
        return states;
    }

    public void Dispose()
    {
        _listener?.Dispose();
        _subscriber?.Dispose();
    }
}
