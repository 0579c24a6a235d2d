using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Netlink;

public sealed partial class SockDiagClient
{
    private static readonly IReadOnlyDictionary<uint, string> NoNames = new Dictionary<uint, string>();

    /// <summary>
    /// The names of the interfaces that <paramref name="sockets"/> are bound to, as `ss` prints them after the '%'.
    /// An ifindex means something only in its own network namespace, and if_indextoname() asks in the calling
    /// thread's; SIOCGIFNAME on this socket asks in the namespace the socket was created in, which is the one its
    /// dumps describe, from any thread. One ioctl per distinct bound interface; nothing when no socket is bound to
    /// one. An index with no interface (deleted since the bind) is left out: readers print "if" + index, as ss does.
    /// </summary>
    public IReadOnlyDictionary<uint, string> ReadInterfaceNames(IReadOnlyList<SocketEntry> sockets)
    {
        Dictionary<uint, string>? names = null;
        HashSet<uint>? unknown = null;
        foreach (SocketEntry s in sockets)
        {
            uint index = s.BoundInterface;
            if (index == 0 || (names?.ContainsKey(index) ?? false) || (unknown?.Contains(index) ?? false))
                continue;
            if (index <= int.MaxValue && Libc.InterfaceName(_fd, (int)index, out string name) == 0)
                (names ??= [])[index] = name;
            else
                (unknown ??= []).Add(index);
        }
        return names ?? NoNames;
    }
}
