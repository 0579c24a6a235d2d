using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Netlink;

public sealed partial class SockDiagClient
{
    private static readonly IReadOnlyDictionary<uint, string> NoNames = new Dictionary<uint, string>();

    /// <summary>
    /// The names of the interfaces that <paramref name="sockets"/> (and packet sockets) are bound to, as `ss` prints them after the '%'.
    /// An ifindex means something only in its own network namespace, and if_indextoname() asks in the calling
    /// thread's; SIOCGIFNAME on this socket asks in the namespace the socket was created in, which is the one its
    /// dumps describe, from any thread. One ioctl per distinct bound interface; nothing when no socket is bound to
    /// one. An index with no interface (deleted since the bind) is left out: readers print "if" + index, as ss does.
    /// </summary>
    public IReadOnlyDictionary<uint, string> ReadInterfaceNames(IReadOnlyList<SocketEntry> sockets, IReadOnlyList<RawSocketEntry>? packetSockets = null)
    {
        Dictionary<uint, string>? names = null;
        HashSet<uint>? unknown = null;
        foreach (SocketEntry s in sockets)
            Resolve(s.BoundInterface, ref names, ref unknown);
        foreach (RawSocketEntry s in packetSockets ?? [])
            if (s.InterfaceIndex > 0)
                Resolve((uint)s.InterfaceIndex, ref names, ref unknown);
        return names ?? NoNames;
    }

    private void Resolve(uint index, ref Dictionary<uint, string>? names, ref HashSet<uint>? unknown)
    {
        if (index == 0 || (names?.ContainsKey(index) ?? false) || (unknown?.Contains(index) ?? false))
            return;
        if (index <= int.MaxValue && Libc.InterfaceName(_fd, (int)index, out string name) == 0)
            (names ??= [])[index] = name;
        else
            (unknown ??= []).Add(index);
    }
}
