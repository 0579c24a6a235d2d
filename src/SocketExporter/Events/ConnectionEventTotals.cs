namespace SocketExporter.Events;

/// <summary>Running totals of one label set, as of the last event counted into it. Values only ever grow.</summary>
public sealed class ConnectionEventTotals
{
    public long Closed, ConnectFailures, ReceivedBytes, SentBytes, RetransmittedSegments, RttSamples;
    public double RttSecondsSum;

    /// <summary>Live and closed connections together (the tcp_traffic collector): what each moved since it was first seen.</summary>
    public ulong TrafficReceivedBytes, TrafficSentBytes, TrafficRetransmits, TrafficSegmentsSent;

    /// <summary>When an event last moved these totals (ConnectionEventCounters' clock): label sets that stop moving expire.</summary>
    public long LastChangedMs;

    public ConnectionEventTotals Copy() => (ConnectionEventTotals)MemberwiseClone();
}
