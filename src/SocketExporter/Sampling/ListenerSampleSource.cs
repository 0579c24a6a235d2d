using SocketExporter.Collectors;
using SocketExporter.Linux.Events;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Sampling;

/// <summary>
/// The state kept between scrapes for socket_listen_queue_peak and the listener churn counters: the sampler, the
/// looks' state, the counters, and what scrapes learned of each listener's program. A scrape (1) hands the sampler
/// the namespaces it found (the sampler looks at each it can enter) and records its snapshot of those the sampler has
/// not looked at (it could not enter them: followed from scrape to scrape), (2) takes the peaks and changes since the
/// last scrape, which resets them, and (3) counts each change under the program a scrape saw holding that listener:
/// this one, or an earlier one for a listener that is gone now. A listener that lived only between two scrapes
/// was never seen by a walk: its program is "". An opening no scrape has seen yet although the listener still lives
/// (opened after this scrape's walk) waits for the next scrape, once, so that its opening and its closing name the
/// same program.
/// </summary>
public sealed class ListenerSampleSource(ListenerSamplingOptions options) : IDisposable
{
    private readonly ListenerSampleState _state = new();
    private readonly Dictionary<ulong, string> _labels = [];
    private Dictionary<(ulong Netns, ulong Inode), string> _programs = [];
    private List<ListenerChange> _waiting = [];
    private ListenerSampler? _sampler;
    private ulong _own;   // the exporter's own namespace, while the sampler runs; else 0
    private bool _started;

    public ListenerChurnCounters Counters { get; } = new();
    public ListenerSampler? Sampler => _sampler;
    public ListenerSampleState State => _state;

    /// <summary>Changes that could not be counted: the pending list was full, or their namespace had no label.</summary>
    public long Uncounted => _state.Dropped + _unlabelled;
    private long _unlabelled;

    /// <summary>Brings the state up to this scrape and returns the peaks since the previous one. Not thread-safe:
    /// scrapes run one at a time.</summary>
    public IReadOnlyDictionary<ListenerKey, long> Observe(ScrapeSnapshot snapshot)
    {
        if (!_started)
        {
            _started = true;
            ulong own = NamespaceSubscriber.OwnNamespaceInode();
            if (options.Interval > TimeSpan.Zero && options.Disabled is null && own != 0)
            {
                _own = own;
                _sampler = new ListenerSampler(_state, own, options.Interval, options.OtherNamespaces);
            }
        }

        var present = new HashSet<ulong>();   // listed, read or not: a namespace missing from the snapshot is gone
        var current = new Dictionary<(ulong, ulong), string>();
        var holders = new SharedHolders();
        var others = new List<(ulong Inode, string Path)>();
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            present.Add(ns.Inode);
            _labels[ns.Inode] = ns.Label;
            if (ns.Inode != _own && ns.NsPath is string path)
                others.Add((ns.Inode, path));
            if (Unread(ns))
                continue;
            foreach (SocketEntry s in ns.Services)
                if (s.Protocol == SocketProtocol.Tcp && s.State == SocketState.Listen)
                    current[(ns.Inode, s.Inode)] = holders.ProgramLabel(snapshot, s.Inode);
        }
        if (_sampler is null)
            RecordScrape(snapshot);
        else
        {
            present.Add(_own);
            // From now on the sampler looks at the namespaces this scrape found; vanished ones are dropped.
            _sampler.SetTargets(others);
            // The snapshot is recorded for the namespaces the sampler has not looked at (it could not enter them), with
            // no look in flight; then one more look, after this scrape's walk: everything up to the walk is in what is
            // taken now (later openings wait).
            _sampler.SampleNow(() => RecordScrape(snapshot));
        }
        _state.Retain(present);

        ListenerSamples taken = _state.Take();
        var waiting = new List<ListenerChange>();
        foreach (ListenerChange c in _waiting.Concat(taken.Changes))
        {
            string? program = current.GetValueOrDefault((c.Netns, c.Inode)) ?? _programs.GetValueOrDefault((c.Netns, c.Inode));
            if (program is null && c.Opened && !_waiting.Contains(c) && _state.IsLive(c.Netns, c.Inode))
            {
                waiting.Add(c);
                continue;
            }
            if (!_labels.TryGetValue(c.Netns, out string? netns))
            {
                _unlabelled++;
                continue;
            }
            Counters.Count(new ListenerChurnKey(Labels.Port(c.Port), program ?? "", netns), c.Opened);
        }
        _waiting = waiting;
        // Remembered until the next scrape, so a listener that closes before it is counted under this program.
        _programs = current;
        foreach (ulong inode in _labels.Keys.Where(k => !present.Contains(k)).ToList())
            _labels.Remove(inode);
        return taken.Peaks;
    }

    private static bool Unread(NetNsSnapshot ns) => ns.SocketsFailed || ns.SkippedAtDeadline;   // neither "all closed" nor known

    private void RecordScrape(ScrapeSnapshot snapshot)
    {
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
            if (!Unread(ns))
                _state.RecordFromScrape(ns.Inode, ns.Services);
    }

    /// <summary>Per namespace label, "" when the sampler's last look at it succeeded, else why it is not sampled; empty
    /// while the sampler is off.</summary>
    public IReadOnlyList<(string Netns, string Reason)> SamplerReasons()
    {
        var reasons = new List<(string, string)>();
        if (_sampler is null)
            return reasons;
        foreach ((ulong inode, string reason) in _sampler.Reasons())
            if (_labels.TryGetValue(inode, out string? label))
                reasons.Add((label, reason));
        return reasons;
    }

    public void Dispose() => _sampler?.Dispose();
}
