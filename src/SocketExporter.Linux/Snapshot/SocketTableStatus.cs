namespace SocketExporter.Linux.Snapshot;

public enum SocketSource
{
    /// <summary>sock_diag netlink dump: complete, with listener backlogs.</summary>
    Netlink,
    /// <summary>/proc/net text: the fallback; listener backlogs are unknown.</summary>
    ProcNet,
    /// <summary>Neither source could be read.</summary>
    None,
}

/// <summary>How one socket table (protocol × family) was read this scrape.</summary>
public sealed record SocketTableStatus(SocketProtocol Protocol, SocketFamily Family, SocketSource Source, int Sockets,
    int BadRecords, ReadFailure? NetlinkError, ReadFailure? Error)
{
    /// <summary>Whether listeners carry their backlog: sock_diag gives it, /proc/net does not (unless a LISTEN-only
    /// sock_diag dump filled it in).</summary>
    public bool BacklogKnown { get; init; } = Source == SocketSource.Netlink;

    /// <summary>The dump asked for tcp_info, so every connected socket of the table carries its counters.</summary>
    public bool TcpInfo { get; init; }

    public static string SourceLabel(SocketSource source) => source switch
    {
        SocketSource.Netlink => "netlink",
        SocketSource.ProcNet => "procfs",
        _ => "none",
    };
}
