using SocketExporter.Linux.Events;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Events;

/// <summary>A TCP connection's payload bytes each way, data segments sent (retransmissions included) and retransmitted
/// segments, as of one tcp_info. Every field only
/// grows over a connection's life, so the difference of two readings is what happened between them.</summary>
public readonly record struct TcpTraffic(ulong Received, ulong Sent, ulong Retransmits, ulong SegmentsSent = 0)
{
    /// <summary>A live socket's totals at a dump (its state says whether the peer's FIN is in bytes_received).</summary>
    public static TcpTraffic Live(in TcpInfoEntry e) => new(
        e.Info.LivePayloadBytesReceived(e.FinReceived) ?? 0, e.Info.PayloadBytesSent ?? 0, Retransmitted(e.Info), SegmentsOut(e.Info));

    /// <summary>A destroyed socket's final totals (README: received may be one byte short after a reset).</summary>
    public static TcpTraffic Final(in TcpFinalInfo info) => new(
        info.PayloadBytesReceived ?? 0, info.PayloadBytesSent ?? 0, Retransmitted(info), SegmentsOut(info));

    private static ulong Retransmitted(in TcpFinalInfo i) => i.HasTotalRetransmits ? i.TotalRetransmits : 0;
    private static ulong SegmentsOut(in TcpFinalInfo i) => i.HasDataSegmentsOut ? i.DataSegmentsOut : 0;

    /// <summary>What this reading adds to <paramref name="counted"/>, never negative: a final reading may be one
    /// received byte below the live one (the FIN guess), and that must not take the counter back.</summary>
    public TcpTraffic Since(TcpTraffic counted) => new(Sub(Received, counted.Received), Sub(Sent, counted.Sent),
        Sub(Retransmits, counted.Retransmits), Sub(SegmentsSent, counted.SegmentsSent));

    public TcpTraffic Max(TcpTraffic other) => new(Math.Max(Received, other.Received), Math.Max(Sent, other.Sent),
        Math.Max(Retransmits, other.Retransmits), Math.Max(SegmentsSent, other.SegmentsSent));

    public bool IsZero => Received == 0 && Sent == 0 && Retransmits == 0 && SegmentsSent == 0;

    private static ulong Sub(ulong a, ulong b) => a > b ? a - b : 0;
}
