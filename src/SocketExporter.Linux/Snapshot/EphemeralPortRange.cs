namespace SocketExporter.Linux.Snapshot;

/// <summary>
/// The ports a network namespace's kernel picks by itself for a socket that connect()s or sendto()s without bind():
/// net.ipv4.ip_local_port_range, inclusive (it also applies to IPv6). A port in it was most likely chosen by the
/// kernel for a client; a port outside it was bound on purpose. Used to keep ephemeral ports out of label values.
/// </summary>
public readonly record struct EphemeralPortRange(ushort First, ushort Last)
{
    /// <summary>What every new network namespace starts with (inet_init_net() in net/ipv4/af_inet.c): a container's
    /// namespace does not inherit the host's setting.</summary>
    public static readonly EphemeralPortRange NewNamespaceDefault = new(32768, 60999);

    public bool Contains(ushort port) => port >= First && port <= Last;

    public override string ToString() => $"{First}-{Last}";
}
