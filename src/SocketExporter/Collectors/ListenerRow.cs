using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// One line of the listener table (`netstat -ntlp`) that a collection keeps for the landing page: a socket that
/// socket_listening counts (<see cref="NetNsSnapshot.IsService"/>) and one of its holders, or none. Plain values, so
/// the table outlives the snapshot, whose buffers the next collection reuses.
/// </summary>
/// <param name="Endpoint">As ss writes it, with the device a socket is bound to: 0.0.0.0%lo:53, [fe80::1]%eth0:22.</param>
/// <param name="User">The holder's user, or "uid N" (the socket's creator) when no visible process holds it.</param>
public sealed record ListenerRow(string Protocol, string Endpoint, ushort Port, string Program, string Pid, string User, uint QueueLength, uint QueueLimit,
    string Netns)
{
    /// <summary>Every listener of the snapshot, a row per holder: the host's namespace first, then by namespace,
    /// protocol, port, endpoint and pid.</summary>
    public static List<ListenerRow> From(ScrapeSnapshot snapshot)
    {
        var rows = new List<ListenerRow>();
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        foreach (SocketEntry s in ns.Services)
        {
            string address = s.LocalAddress.Format(s.Family);
            string device = s.BoundInterface == 0 ? "" : "%" + ns.InterfaceName(s.BoundInterface);
            string endpoint = s.Family == SocketFamily.Ipv6 ? $"[{address}]{device}:{s.LocalPort}" : $"{address}{device}:{s.LocalPort}";
            string protocol = Labels.Protocol(s.Protocol);
            foreach (int p in snapshot.Owners.HoldersOrUnheld(s.Inode))
            {
                ProcessIdentity? id = p == SocketOwnerIndex.Unheld ? null : snapshot.Processes[p].Identity;
                rows.Add(new(protocol, endpoint, s.LocalPort, id?.Program ?? "", id?.PidText ?? "", id?.User ?? $"uid {s.Uid}",
                    s.ReceiveQueue, s.SendQueue, ns.Label));
            }
        }
        rows.Sort((a, b) => (a.Netns != "host", a.Netns, a.Protocol, a.Port, a.Endpoint, a.Pid)
            .CompareTo((b.Netns != "host", b.Netns, b.Protocol, b.Port, b.Endpoint, b.Pid)));
        return rows;
    }
}
