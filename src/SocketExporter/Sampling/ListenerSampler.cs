using SocketExporter.Linux.Namespaces;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Sampling;

/// <summary>
/// Looks at the listening TCP table of every network namespace the scrapes read, every interval, between scrapes, on
/// a thread of its own. The dump asks for LISTEN sockets only (idiag_states = 1 &lt;&lt; TCP_LISTEN), so the kernel
/// walks only its listening hash: tens of microseconds, however many connections the host has.
/// The exporter's own namespace is dumped through a netlink socket kept for the sampler's life (it keeps nothing alive
/// that would otherwise go). Each other namespace is entered through the nsfs path the last scrape found
/// (<see cref="SetTargets"/>) on <see cref="NetNsVisitor"/>'s worker thread (setns, CAP_SYS_ADMIN), and dumped through
/// a socket created there and closed before leaving: nothing of ours stays in a namespace between looks, so one
/// whose last process exits goes away as it would without us. A namespace that cannot be entered is not looked at
/// (its reason is in <see cref="Reasons"/>); its listeners are then followed from scrape to scrape.
/// </summary>
public sealed class ListenerSampler : IDisposable
{
    private const uint ListenOnly = 1u << (int)SocketState.Listen;

    /// <summary>Why a namespace is not sampled: setns refused for want of CAP_SYS_ADMIN (asked again after
    /// <see cref="RetryAfterDenial"/>), --netns.method=procfs, the process or name to enter through gone (asked again
    /// when a scrape names another), a failed dump (asked again at the next look).</summary>
    public const string SetnsDenied = "setns_denied", SetnsDisabled = "setns_disabled", Failed = "failed";

    // Without CAP_SYS_ADMIN every setns fails alike: ask again after a while, not every look (as the scrapes' reader does).
    private static readonly TimeSpan RetryAfterDenial = TimeSpan.FromMinutes(5);

    private readonly ListenerSampleState _state;
    private readonly ulong _own;
    private readonly TimeSpan _interval;
    private readonly bool _otherNamespaces;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private long _failures;
    private long _busyTicks;

    /// <param name="own">The exporter's own namespace (dumped directly).</param>
    /// <param name="otherNamespaces">False with --netns.method=procfs or --netns.mode=own: other namespaces are not entered.</param>
    public ListenerSampler(ListenerSampleState state, ulong own, TimeSpan interval, bool otherNamespaces = true)
    {
        _state = state;
        _own = own;
        _interval = interval;
        _otherNamespaces = otherNamespaces;
        _thread = new Thread(Run) { IsBackground = true, Name = "listener-sampler" };
        _thread.Start();
    }

    /// <summary>Looks that failed after entering (the socket could not be opened, or a dump failed): not recorded, not
    /// counted as closes.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Wall time spent sampling (the dumps, entering namespaces, and the diff), in seconds, for
    /// socket_exporter_listener_sampling_seconds_total.</summary>
    public double SamplingSeconds => Interlocked.Read(ref _busyTicks) / (double)TimeSpan.TicksPerSecond;

    private readonly object _sampling = new();   // one look at a time: the thread's or a scrape's
    private readonly List<SocketEntry> _sockets = [];
    private readonly List<List<SocketEntry>> _foreignSockets = [];
    private readonly byte[] _foreignBuffer = new byte[64 * 1024];   // the worker's dumps run one at a time
    private IReadOnlyList<(ulong Inode, string Path)> _targets = [];
    private readonly Dictionary<ulong, string> _reasons = [];   // the last look's outcome per namespace: "" = sampled
    private readonly Dictionary<ulong, (string Path, DateTime RetryAt)> _refused = [];
    private NetNsVisitor? _visitor;
    private SockDiagClient? _client;
    private bool _disposed;

    private void Run()
    {
        do
            SampleNow();
        while (!_stop.Wait(_interval));
    }

    /// <summary>The other namespaces to look at from now on (inode, nsfs path to enter it), as the last scrape found
    /// them: namespaces no longer listed are dropped, with their reasons.</summary>
    public void SetTargets(IReadOnlyList<(ulong Inode, string Path)> targets)
    {
        lock (_sampling)
        {
            _targets = targets;
            var keep = new HashSet<ulong>(targets.Select(t => t.Inode)) { _own };
            foreach (ulong gone in _reasons.Keys.Where(k => !keep.Contains(k)).ToList())
                _reasons.Remove(gone);
            foreach (ulong gone in _refused.Keys.Where(k => !keep.Contains(k)).ToList())
                _refused.Remove(gone);
        }
    }

    /// <summary>Per namespace (the own and the targets), "" when the last look at it succeeded, else why not.</summary>
    public IReadOnlyDictionary<ulong, string> Reasons()
    {
        lock (_sampling)
            return new Dictionary<ulong, string>(_reasons);
    }

    /// <summary>Looks at every namespace now, on the calling thread (the others through the worker thread, awaited):
    /// a scrape calls it so that what it counts is as of itself, not as of the sampler's last tick.
    /// <paramref name="first"/> runs before the look, with no look in flight (the scrape records its snapshot there).</summary>
    public void SampleNow(Action? first = null)
    {
        lock (_sampling)
        {
            first?.Invoke();
            if (_disposed)
                return;
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            LookAtOwn();
            if (_targets.Count > 0)
                LookAtOthers();
            Interlocked.Add(ref _busyTicks, System.Diagnostics.Stopwatch.GetElapsedTime(start).Ticks);
        }
    }

    private void LookAtOwn()
    {
        if (_client is null && SockDiagClient.TryOpen(out _client) != 0)
            _client = null;
        if (_client is not null && Sample(_client, _sockets))
        {
            _state.Record(_own, _sockets);
            _reasons[_own] = "";
            return;
        }
        Interlocked.Increment(ref _failures);
        _reasons[_own] = Failed;
        _client?.Dispose();   // reopen next time: a socket that failed once may be in a bad state
        _client = null;
    }

    private void LookAtOthers()
    {
        if (!_otherNamespaces)
        {
            foreach ((ulong inode, _) in _targets)
                _reasons[inode] = SetnsDisabled;
            return;
        }
        DateTime now = DateTime.UtcNow;
        var due = new List<(ulong Inode, string Path)>(_targets.Count);
        foreach ((ulong inode, string path) in _targets)
            if (!_refused.TryGetValue(inode, out var refused) || refused.Path != path || now >= refused.RetryAt)
                due.Add((inode, path));
        if (due.Count == 0)
            return;
        while (_foreignSockets.Count < due.Count)
            _foreignSockets.Add([]);
        _visitor ??= new NetNsVisitor();
        // Runs on the worker thread, inside namespace i: the socket is created there, used, and closed before it leaves.
        NetNsVisit<bool>[] visits = _visitor.Visit(due, i =>
        {
            if (SockDiagClient.TryOpen(out SockDiagClient? client, _foreignBuffer) != 0)
                return false;
            using (client)
                return Sample(client!, _foreignSockets[i]);
        });
        for (int i = 0; i < visits.Length; i++)
        {
            (ulong inode, string path) = due[i];
            NetNsVisit<bool> visit = visits[i];
            if (!visit.Entered)
            {
                // Denied: again in a while. Gone (pid exited, name deleted): again once a scrape names another way in.
                _refused[inode] = (path, visit.Reason == SetnsDenied ? now + RetryAfterDenial : DateTime.MaxValue);
                _reasons[inode] = visit.Reason;
                continue;
            }
            _refused.Remove(inode);
            if (visit.Value)
            {
                _state.Record(inode, _foreignSockets[i]);
                _reasons[inode] = "";
            }
            else
            {
                Interlocked.Increment(ref _failures);
                _reasons[inode] = Failed;
            }
        }
    }

    private static bool Sample(SockDiagClient client, List<SocketEntry> sockets)
    {
        sockets.Clear();
        // Both families must succeed: half a table would read as every listener of the other family closing.
        return client.DumpInet(SocketFamily.Ipv4, SocketProtocol.Tcp, sockets, ListenOnly).Succeeded
            && client.DumpInet(SocketFamily.Ipv6, SocketProtocol.Tcp, sockets, ListenOnly).Succeeded;
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
        lock (_sampling)
        {
            _disposed = true;
            _client?.Dispose();
            _visitor?.Dispose();
        }
    }
}
