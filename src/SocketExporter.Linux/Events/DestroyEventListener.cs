using SocketExporter.Linux.Interop;

namespace SocketExporter.Linux.Events;

/// <summary>Totals of one namespace's subscription since it was opened.</summary>
public readonly record struct SubscriptionStats(long Events, long Malformed, long Overflows, int ReceiveBufferBytes);

/// <summary>
/// Reads destroy events all the time, not only at scrape time: one background thread polls every subscription (one
/// per network namespace) and drains the ones with messages queued, so bursts empty the kernel's buffers promptly.
/// A scrape calls <see cref="DrainAll"/> first, so every event queued before it began is counted in it.
/// Events are handed to the sink with the namespace inode they came from, under that subscription's lock.
/// </summary>
public sealed class DestroyEventListener : IDisposable
{
    // How long poll waits before it looks at the subscription list again (added/removed namespaces, disposal).
    private const int PollTimeoutMs = 200;
    // Netlink messages of a destroy event are ~380 bytes; one recv returns one message. Room to spare.
    private const int ReceiveBufferLength = 16 * 1024;

    private sealed class Entry(ulong netns, DestroySubscription subscription)
    {
        public readonly ulong Netns = netns;
        public readonly DestroySubscription Subscription = subscription;
        public readonly byte[] Buffer = new byte[ReceiveBufferLength];
        public long Events, Malformed, Overflows;
    }

    private readonly Action<ulong, TcpDestroyEvent> _sink;
    private readonly object _listLock = new();
    private Entry[] _entries = [];   // replaced, never changed in place: the poll thread reads a stable array
    private readonly Thread _thread;
    private volatile bool _stopping;

    public DestroyEventListener(Action<ulong, TcpDestroyEvent> sink)
    {
        _sink = sink;
        _thread = new Thread(Run) { IsBackground = true, Name = "destroy-events" };
        _thread.Start();
    }

    /// <summary>Starts reading <paramref name="subscription"/> as namespace <paramref name="netns"/>'s; the listener owns it.</summary>
    public void Add(ulong netns, DestroySubscription subscription)
    {
        lock (_listLock)
            _entries = [.. _entries.Where(e => e.Netns != netns), new Entry(netns, subscription)];
    }

    /// <summary>Stops reading namespace <paramref name="netns"/> and closes its socket, which releases the namespace.</summary>
    public void Remove(ulong netns)
    {
        Entry? gone;
        lock (_listLock)
        {
            gone = _entries.FirstOrDefault(e => e.Netns == netns);
            if (gone is null) return;
            _entries = _entries.Where(e => e != gone).ToArray();
        }
        lock (gone)
            gone.Subscription.Dispose();   // poll holds a reference: the fd closes once poll returns
    }

    public bool IsSubscribed(ulong netns) => Volatile.Read(ref _entries).Any(e => e.Netns == netns);

    public IReadOnlyCollection<ulong> Subscribed => Volatile.Read(ref _entries).Select(e => e.Netns).ToArray();

    public SubscriptionStats? Stats(ulong netns) =>
        Volatile.Read(ref _entries).FirstOrDefault(e => e.Netns == netns) is { } e
            ? new(Interlocked.Read(ref e.Events), Interlocked.Read(ref e.Malformed), Interlocked.Read(ref e.Overflows), e.Subscription.ReceiveBufferBytes)
            : null;

    /// <summary>Reads everything queued on every subscription now, on the calling thread.</summary>
    public void DrainAll()
    {
        foreach (Entry e in Volatile.Read(ref _entries))
            Drain(e);
    }

    private void Drain(Entry e)
    {
        lock (e)
        {
            if (e.Subscription.IsClosed) return;
            DrainCounts c = e.Subscription.Drain(e.Buffer, ev => _sink(e.Netns, ev));
            Interlocked.Add(ref e.Events, c.Events);
            Interlocked.Add(ref e.Malformed, c.Malformed);
            Interlocked.Add(ref e.Overflows, c.Overflows);
        }
    }

    private void Run()
    {
        Entry[] polled = [];
        SafeFd[] fds = [];
        bool[] ready = [];
        while (!_stopping)
        {
            Entry[] entries = Volatile.Read(ref _entries);
            if (entries.Length == 0)
            {
                Thread.Sleep(PollTimeoutMs);
                continue;
            }
            if (entries != polled)
            {
                // The list changed (a namespace came or went): rebuild the poll set once, not per wake-up.
                polled = entries;
                fds = entries.Select(e => e.Subscription.Fd).ToArray();
                ready = new bool[entries.Length];
            }
            if (Libc.Poll(fds, ready, PollTimeoutMs) != 0)
            {
                Thread.Sleep(PollTimeoutMs);   // EINVAL/ENOMEM from poll itself: try again, never spin
                continue;
            }
            for (int i = 0; i < entries.Length; i++)
                if (ready[i])
                    Drain(entries[i]);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        Entry[] entries;
        lock (_listLock)
        {
            entries = _entries;
            _entries = [];
        }
        foreach (Entry e in entries)
            lock (e)
                e.Subscription.Dispose();
    }
}
