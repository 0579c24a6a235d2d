using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// Which side of a connection is the service: the rule that labels socket_connections and socket_queued_bytes with a
/// direction and a port, written so that the port is never an ephemeral one (README, "From netstat to metrics"):
/// <list type="number">
/// <item>a service is, or was, on the local port (<see cref="ListenerPortMemory"/>): inbound, local port;</item>
/// <item>a service of this namespace is, or was, on the remote port (a connection to a local service): outbound, remote port;</item>
/// <item>the local port is outside the namespace's ephemeral range, so it was bound on purpose: inbound, local port;</item>
/// <item>the local port is ephemeral and the remote one is not: outbound, remote port;</item>
/// <item>both are ephemeral: nothing tells which is the service; outbound, port "ephemeral".</item>
/// </list>
/// </summary>
internal static class ConnectionDirection
{
    /// <summary>The port label of a connection whose ports are both in the ephemeral range.</summary>
    public const string EphemeralPortLabel = "ephemeral";

    /// <returns>Inbound or not, and the port to label with; null when neither port may be a label.</returns>
    public static (bool Inbound, ushort? Port) Classify(NetNsSnapshot ns, ListenerPortMemory.View services, in SocketEntry s)
    {
        if (services.HadService(s.Protocol, s.LocalPort))
            return (true, s.LocalPort);
        if (services.HadService(s.Protocol, s.RemotePort))
            return (false, s.RemotePort);
        if (!ns.EphemeralPorts.Contains(s.LocalPort))
            return (true, s.LocalPort);
        if (!ns.EphemeralPorts.Contains(s.RemotePort))
            return (false, s.RemotePort);
        return (false, null);
    }
}
