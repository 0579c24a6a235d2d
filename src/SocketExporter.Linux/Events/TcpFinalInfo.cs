using System.Runtime.InteropServices;

namespace SocketExporter.Linux.Events;

/// <summary>
/// The fields of a socket's struct tcp_info (include/uapi/linux/tcp.h) that the counters use: a destroyed socket's
/// final one (destroy events), or a live socket's current one (a dump that asked for INET_DIAG_INFO).
/// <see cref="Length"/> is how many bytes the kernel sent: older kernels send a shorter struct, and a field past the
/// end is absent, never zero (bytes_acked/bytes_received since 4.1, data_segs_in 4.6, delivered 4.18, bytes_sent 5.5).
/// </summary>
public readonly record struct TcpFinalInfo(
    int Length,
    uint RttMicroseconds,
    uint TotalRetransmits,
    ulong BytesAcked,
    ulong BytesReceived,
    uint DataSegmentsIn,
    uint Delivered,
    ulong BytesSent,
    ulong BytesRetransmitted,
    uint DataSegmentsOut = 0)
{
    // Offsets in struct tcp_info (x86_64 and arm64 alike: natural alignment, no padding before these fields).
    internal const int RttOffset = 68, TotalRetransOffset = 100, BytesAckedOffset = 120, BytesReceivedOffset = 128,
        DataSegsInOffset = 152, DataSegsOutOffset = 156, DeliveredOffset = 192, BytesSentOffset = 200, BytesRetransOffset = 208;

    /// <summary>Reads the fields from an INET_DIAG_INFO value. Pure; a field past the end of a short (older kernel's)
    /// tcp_info reads 0, and the Has* properties say it is absent.</summary>
    public static TcpFinalInfo Parse(ReadOnlySpan<byte> info) => new(
        info.Length,
        U32(info, RttOffset),
        U32(info, TotalRetransOffset),
        U64(info, BytesAckedOffset),
        U64(info, BytesReceivedOffset),
        U32(info, DataSegsInOffset),
        U32(info, DeliveredOffset),
        U64(info, BytesSentOffset),
        U64(info, BytesRetransOffset),
        U32(info, DataSegsOutOffset));

    private static uint U32(ReadOnlySpan<byte> s, int offset) => s.Length >= offset + 4 ? MemoryMarshal.Read<uint>(s[offset..]) : 0;
    private static ulong U64(ReadOnlySpan<byte> s, int offset) => s.Length >= offset + 8 ? MemoryMarshal.Read<ulong>(s[offset..]) : 0;

    public bool HasRtt => Length >= RttOffset + 4;
    public bool HasTotalRetransmits => Length >= TotalRetransOffset + 4;
    public bool HasBytesReceived => Length >= BytesReceivedOffset + 8;
    public bool HasDataSegmentsIn => Length >= DataSegsInOffset + 4;
    /// <summary>data_segs_out (4.6): segments with payload sent, retransmissions included — the retransmit ratio's denominator.</summary>
    public bool HasDataSegmentsOut => Length >= DataSegsOutOffset + 4;
    public bool HasDelivered => Length >= DeliveredOffset + 4;
    public bool HasBytesSent => Length >= BytesRetransOffset + 8;

    /// <summary>
    /// The connection completed its handshake: the peer acknowledged our SYN (delivered counts it), or, on kernels
    /// before delivered, bytes_acked moved (it counts the SYN too). A refused or timed-out connect has both 0.
    /// </summary>
    public bool WasEstablished => HasDelivered ? Delivered > 0 : Length >= BytesAckedOffset + 8 && BytesAcked > 0;

    /// <summary>Payload bytes sent once: bytes_sent counts retransmitted bytes again (bytes_retrans says how many) and
    /// never SYN or FIN. Null on kernels before 5.5.</summary>
    public ulong? PayloadBytesSent => HasBytesSent ? BytesSent - Math.Min(BytesRetransmitted, BytesSent) : null;

    /// <summary>
    /// Payload bytes received. bytes_received is how far rcv_nxt moved, which includes the peer's FIN (1) when it came
    /// before the socket was destroyed. The event does not say whether it came, so one byte is taken off whenever
    /// data came: exact for connections that received their peer's FIN; one byte short for a connection that received
    /// data but was reset, or that closed first and left (orphaned in FIN_WAIT2) before the peer's FIN arrived.
    /// With no data segment in, everything counted was the FIN: 0.
    /// </summary>
    public ulong? PayloadBytesReceived => !HasBytesReceived ? null
        : HasDataSegmentsIn && DataSegmentsIn == 0 ? 0
        : BytesReceived == 0 ? 0 : BytesReceived - 1;

    /// <summary>
    /// Payload bytes a live socket has received so far: bytes_received, less the peer's FIN once it came, which the
    /// socket's state tells (CLOSE_WAIT, LAST_ACK and CLOSING follow a received FIN; no SYN is ever counted).
    /// Exact, unlike <see cref="PayloadBytesReceived"/> at destruction, where the state is gone. Null before 4.1.
    /// </summary>
    public ulong? LivePayloadBytesReceived(bool finReceived) => !HasBytesReceived ? null
        : finReceived && BytesReceived > 0 ? BytesReceived - 1 : BytesReceived;
}
