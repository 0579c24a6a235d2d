using SocketExporter.Linux.Events;

namespace SocketExporter.Events;

/// <summary>
/// The counters that live between scrapes: totals per bounded label set, fed by the event thread and read by scrapes.
/// Memory is bounded twice: at most <see cref="MaxLabelSets"/> label sets (beyond that, events are counted under
/// port="overflow", program="overflow" of their namespace and direction, so totals stay right), and a label set that no
/// event moved for <see cref="IdleExpiry"/> is dropped (its series disappear; should it come back, it restarts at 0,
/// which rate() reads as a counter reset).
/// </summary>
/// <param name="nowMs">The clock label sets age by (milliseconds); Environment.TickCount64 unless a test sets one.</param>
public sealed class ConnectionEventCounters(int maxLabelSets = ConnectionEventCounters.DefaultMaxLabelSets, TimeSpan? idleExpiry = null,
    Func<long>? nowMs = null)
{
    public const int DefaultMaxLabelSets = Collectors.MetricOptions.DefaultMaxEventLabelSets;
    public const string OverflowValue = Collectors.MetricWriter.OverflowValue;

    private readonly Dictionary<ConnectionEventKey, ConnectionEventTotals> _totals = [];
    private readonly Func<long> _nowMs = nowMs ?? (() => Environment.TickCount64);
    private long _overflowedEvents;

    public int MaxLabelSets => maxLabelSets;
    public TimeSpan IdleExpiry { get; } = idleExpiry ?? TimeSpan.FromHours(1);

    /// <summary>Events counted under the overflow label set because <see cref="MaxLabelSets"/> was reached.</summary>
    public long OverflowedEvents
    {
        get { lock (_totals) return _overflowedEvents; }
    }

    /// <summary>Counts one attributed event. RTT is tcp_info's smoothed RTT at close, in microseconds.</summary>
    public void Count(ConnectionEventKey key, in TcpDestroyEvent ev)
    {
        lock (_totals)
        {
            ConnectionEventTotals t = Totals(ref key);
            if (key.Failure)
            {
                t.ConnectFailures++;
                return;
            }
            t.Closed++;
            TcpFinalInfo info = ev.Info;
            t.ReceivedBytes += (long)(info.PayloadBytesReceived ?? 0);
            t.SentBytes += (long)(info.PayloadBytesSent ?? 0);
            if (info.HasTotalRetransmits)
                t.RetransmittedSegments += info.TotalRetransmits;
            if (info.HasRtt && info.RttMicroseconds > 0)
            {
                t.RttSamples++;
                t.RttSecondsSum += info.RttMicroseconds / 1e6;
            }
        }
    }

    /// <summary>Adds what a connection moved (live or at its close) to the live + closed totals of its label set.</summary>
    public void AddTraffic(ConnectionEventKey key, TcpTraffic moved)
    {
        if (moved.IsZero)
            return;
        lock (_totals)
        {
            ConnectionEventTotals t = Totals(ref key);
            t.TrafficReceivedBytes += moved.Received;
            t.TrafficSentBytes += moved.Sent;
            t.TrafficRetransmits += moved.Retransmits;
            t.TrafficSegmentsSent += moved.SegmentsSent;
        }
    }

    // The totals of key's label set, or of its overflow set once MaxLabelSets are held; marks them moved. Under the lock.
    private ConnectionEventTotals Totals(ref ConnectionEventKey key)
    {
        if (!_totals.TryGetValue(key, out ConnectionEventTotals? t))
        {
            if (_totals.Count >= maxLabelSets)
            {
                _overflowedEvents++;
                key = key with { Port = OverflowValue, Program = OverflowValue };
            }
            if (!_totals.TryGetValue(key, out t))
                _totals[key] = t = new ConnectionEventTotals();
        }
        t.LastChangedMs = _nowMs();
        return t;
    }

    /// <summary>Drops label sets idle for longer than <see cref="IdleExpiry"/>; returns a copy of the rest to export.</summary>
    public List<KeyValuePair<ConnectionEventKey, ConnectionEventTotals>> ExpireAndCopy()
    {
        long now = _nowMs();
        long idleMs = (long)IdleExpiry.TotalMilliseconds;
        lock (_totals)
        {
            var copy = new List<KeyValuePair<ConnectionEventKey, ConnectionEventTotals>>(_totals.Count);
            List<ConnectionEventKey>? expired = null;
            foreach ((ConnectionEventKey key, ConnectionEventTotals t) in _totals)
            {
                if (now - t.LastChangedMs > idleMs)
                    (expired ??= []).Add(key);
                else
                    copy.Add(new(key, t.Copy()));
            }
            if (expired is not null)
                foreach (ConnectionEventKey key in expired)
                    _totals.Remove(key);
            return copy;
        }
    }
}
