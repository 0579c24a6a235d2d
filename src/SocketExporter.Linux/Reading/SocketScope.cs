namespace SocketExporter.Linux.Reading;

/// <summary>
/// What a snapshot reads of each network namespace. Everything, for the exporter; a one-shot question about a port
/// (`socket_exporter who :81`) needs only the TCP/UDP sockets of that port: the kernel filters the dumps, and the unix
/// table and the namespace's details (raw and packet sockets, interface names, listen drop counters, the ephemeral
/// port range) are not read at all.
/// </summary>
/// <param name="LocalPort">Only TCP/UDP sockets with this local port (null: all).</param>
/// <param name="Unix">Read the unix socket table.</param>
/// <param name="Details">Read raw and packet sockets, interface names, TcpExt listen drops and ip_local_port_range.</param>
/// <param name="TcpInfo">Ask the TCP dumps for each connection's tcp_info (the tcp_traffic collector): ~280 more bytes per
/// socket to copy out, and namespaces otherwise read as /proc/net text are dumped instead (text has no tcp_info).</param>
public sealed record SocketScope(ushort? LocalPort = null, bool Unix = true, bool Details = true, bool TcpInfo = false)
{
    public static SocketScope Everything { get; } = new();
}
