namespace SocketExporter.Linux.Snapshot;

/// <summary>TCP states as numbered in include/net/tcp_states.h. UDP reuses them: 1 = connected, 7 = unconnected.</summary>
public enum SocketState : byte
{
    Established = 1,
    SynSent = 2,
    SynRecv = 3,
    FinWait1 = 4,
    FinWait2 = 5,
    TimeWait = 6,
    Close = 7,
    CloseWait = 8,
    LastAck = 9,
    Listen = 10,
    Closing = 11,
    NewSynRecv = 12,
}

public static class SocketStateNames
{
    private static readonly string[] Names =
    [
        "unknown", "established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait",
        "close", "close_wait", "last_ack", "listen", "closing", "new_syn_recv",
    ];

    /// <summary>The kernel's state name in lower case (tcp_states.h), as used in label values.</summary>
    public static string LabelValue(SocketState state) => (int)state < Names.Length ? Names[(int)state] : "unknown";

    /// <summary>True for the states a socket can legally report; anything else is malformed input.</summary>
    public static bool IsKnown(byte state) => state is >= 1 and <= 12;
}
