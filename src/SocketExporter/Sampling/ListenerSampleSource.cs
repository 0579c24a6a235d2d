using SocketExporter.Collectors;
using SocketExporter.Linux.Events;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Sampling;

/// <summary>
/// The state kept between scrapes for socket_listen_queue_peak and the listener churn counters: the sampler (own
/// namespace), the looks' state, the counters, and what scrapes learned of each listener's program. A scrape (1) looks
/// at the namespaces the sampler does not reach through its snapshot, (2) takes the peaks and changes since the last
/// scrape, which resets them, and (3) counts each change under the program a scrape saw holding that listener:
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
    private ulong _sampled;   // the namespace the sampler looks at; 0 while none
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
                _sampled = own;
                _sampler = new ListenerSampler(_state, own, options.Interval);
            }
        }

        var present = new HashSet<ulong>();
        var current = new Dictionary<(ulong, ulong), string>();
        var holders = new SharedHolders();
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            if (ns.SocketsFailed || ns.SkippedAtDeadline)
                continue;   // not read this time: neither "all closed" nor known
            present.Add(ns.Inode);
            _labels[ns.Inode] = ns.Label;
            foreach (SocketEntry s in ns.Sockets)
                if (s.Protocol == SocketProtocol.Tcp && s.State == SocketState.Listen)
                    current[(ns.Inode, s.Inode)] = holders.ProgramLabel(snapshot, s.Inode);
            // The sampler's namespace is looked at by the sampler alone: a snapshot walked before the sampler's
            // latest look, fed in after it, would reopen a listener the sampler already saw close.
            if (ns.Inode != _sampled)
                _state.Record(ns.Inode, ns.Sockets);
        }
        if (_sampled != 0)
            present.Add(_sampled);
        // A look after this scrape's walk: everything up to the walk is in what is taken now (later openings wait).
        _sampler?.SampleNow();
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

    public void Dispose() => _sampler?.Dispose();
}
