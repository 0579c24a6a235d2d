using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Sampling;

/// <summary>
/// Looks at the exporter's own namespace's listening TCP table every interval, between scrapes, on a thread of its
/// own. The dump asks for LISTEN sockets only (idiag_states = 1 &lt;&lt; TCP_LISTEN), so the kernel walks only its
/// listening hash: tens of microseconds, however many connections the host has. The netlink socket stays open for
/// the sampler's life: it is in our own namespace, so it keeps nothing alive that would otherwise go.
/// Other namespaces are not sampled (they are looked at by scrapes only; see the README).
/// </summary>
public sealed class ListenerSampler : IDisposable
{
    private const uint ListenOnly = 1u << (int)SocketState.Listen;

    private readonly ListenerSampleState _state;
    private readonly ulong _netns;
    private readonly TimeSpan _interval;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private long _failures;
    private long _busyTicks;

    public ListenerSampler(ListenerSampleState state, ulong netns, TimeSpan interval)
    {
        _state = state;
        _netns = netns;
        _interval = interval;
        _thread = new Thread(Run) { IsBackground = true, Name = "listener-sampler" };
        _thread.Start();
    }

    /// <summary>Samples that failed (the socket could not be opened, or a dump failed): not recorded, not counted as closes.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Wall time spent sampling (the dumps and the diff), in seconds, for socket_exporter_listener_sampling_seconds_total.</summary>
    public double SamplingSeconds => Interlocked.Read(ref _busyTicks) / (double)TimeSpan.TicksPerSecond;

    private readonly object _sampling = new();   // one look at a time: the thread's or a scrape's
    private readonly List<SocketEntry> _sockets = [];
    private SockDiagClient? _client;
    private bool _disposed;

    private void Run()
    {
        do
            SampleNow();
        while (!_stop.Wait(_interval));
    }

    /// <summary>Looks at the table now, on the calling thread: a scrape calls it so that what it counts is as of itself,
    /// not as of the sampler's last tick.</summary>
    public void SampleNow()
    {
        lock (_sampling)
        {
            if (_disposed)
                return;
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            if (_client is null && SockDiagClient.TryOpen(out _client) != 0)
                _client = null;
            if (_client is not null && Sample(_client, _sockets))
                _state.Record(_netns, _sockets);
            else
            {
                Interlocked.Increment(ref _failures);
                _client?.Dispose();   // reopen next time: a socket that failed once may be in a bad state
                _client = null;
            }
            Interlocked.Add(ref _busyTicks, System.Diagnostics.Stopwatch.GetElapsedTime(start).Ticks);
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
        }
    }
}
