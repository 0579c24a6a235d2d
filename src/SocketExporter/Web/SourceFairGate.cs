using System.Net;
using System.Net.Sockets;

namespace SocketExporter.Web;

/// <summary>
/// Lets at most <c>workers</c> callers in at once (bcrypt verifications); the others wait in a queue per client
/// source, and the queues take turns, a source that has not been served since it began waiting first. A client that
/// sends a flood of wrong passwords therefore delays another client by the verification in progress only, not by
/// its whole flood (a strict rotation would add the flood's next one); and a source may keep only
/// <c>maxWaitingPerSource</c> waiting, beyond which it is refused at once (429) instead of queueing without bound.
/// A flood from the same source as Prometheus (behind the same NAT) still delays it: nothing else tells the
/// requests apart before bcrypt has run.
/// </summary>
internal sealed class SourceFairGate(int workers, int maxWaitingPerSource)
{
    private readonly object _lock = new();
    private readonly Dictionary<string, Queue<TaskCompletionSource>> _waiting = [];
    // Each source with waiters is in one of the two: newcomers (not served since they began waiting) go first, then
    // the rotation of sources already served once.
    private readonly Queue<string> _newcomers = new();
    private readonly Queue<string> _turns = new();
    private int _running;

    /// <summary>Waits for a place; null when <paramref name="source"/> already has the most waiting (or the wait
    /// was cancelled). Dispose the lease to give the place to the next source in turn.</summary>
    public async ValueTask<Lease?> EnterAsync(string source, CancellationToken cancel)
    {
        TaskCompletionSource turn;
        lock (_lock)
        {
            if (_running < workers)
            {
                _running++;
                return new Lease(this);
            }
            if (!_waiting.TryGetValue(source, out Queue<TaskCompletionSource>? queue))
            {
                _waiting[source] = queue = new Queue<TaskCompletionSource>();
                _newcomers.Enqueue(source);
            }
            if (queue.Count >= maxWaitingPerSource)
                return null;
            // Asynchronous continuations: the waiter must not run inside Release's lock.
            turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            queue.Enqueue(turn);
        }
        using (cancel.Register(() => turn.TrySetCanceled()))
        {
            try
            {
                await turn.Task;
            }
            catch (OperationCanceledException)
            {
                return null;   // left in its queue; Release skips it
            }
        }
        return new Lease(this);
    }

    /// <summary>The source a request is queued under: its IPv4 address, or its IPv6 /64 (one host's usual share).</summary>
    public static string SourceOf(IPAddress? address)
    {
        if (address is null)
            return "";
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return address.ToString();
        byte[] bytes = address.GetAddressBytes();
        return Convert.ToHexString(bytes, 0, 8);
    }

    private void Release()
    {
        lock (_lock)
        {
            while (_newcomers.TryDequeue(out string? source) || _turns.TryDequeue(out source))
            {
                Queue<TaskCompletionSource> queue = _waiting[source];
                bool handed = false;
                while (!handed && queue.TryDequeue(out TaskCompletionSource? turn))
                    handed = turn.TrySetResult();   // false for a waiter whose request was aborted
                if (queue.Count > 0)
                    _turns.Enqueue(source);   // to the back of the rotation: the other sources go first
                else
                    _waiting.Remove(source);
                if (handed)
                    return;   // the place passes on; _running is unchanged
            }
            _running--;
        }
    }

    public sealed class Lease(SourceFairGate gate) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                gate.Release();
        }
    }
}
