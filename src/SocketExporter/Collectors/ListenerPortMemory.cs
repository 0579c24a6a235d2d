using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// The (protocol, port) pairs of each network namespace that had a service (<see cref="NetNsSnapshot.IsService"/>) at
/// this scrape or at an earlier one, kept while a connection in the namespace still uses the port as its local port:
/// the connections a server accepted stay inbound on its port after it closed its listener (a draining server, an sshd
/// whose daemon restarted, the TIME_WAIT sockets of a server that exited).
/// <para>
/// Remembering the port is enough; remembering each connection is not needed. While the accepted sockets (and their
/// TIME_WAIT successors) exist they keep the kernel's bind bucket that bind() made for the port, and connect() never
/// picks a bucket made by bind() for an automatic source port (__inet_hash_connect() skips buckets with fastreuse or
/// fastreuseport ≥ 0), so no new outbound connection can appear on a remembered port. The port, unlike a socket cookie,
/// is in both the sock_diag and the /proc/net tables, and survives a process's death (orphans and TIME_WAIT have inode 0).
/// </para>
/// State across scrapes: the memory is bounded by 2 × 65,536 pairs per namespace that exists; a namespace that is
/// gone is forgotten, one that could not be read this scrape keeps what it had. Not thread-safe: like the collector's
/// reused buffers, it relies on collections running one at a time (the coordinator's build lock).
/// </summary>
public sealed class ListenerPortMemory
{
    private Dictionary<ulong, HashSet<uint>> _byNamespace = [];

    /// <summary>Records this scrape's services and forgets remembered ports no socket of the namespace uses any more.</summary>
    public void Observe(ScrapeSnapshot snapshot)
    {
        var next = new Dictionary<ulong, HashSet<uint>>(snapshot.Namespaces.Count);
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            _byNamespace.TryGetValue(ns.Inode, out HashSet<uint>? before);
            if (ns.SocketsFailed)
            {
                // Unread (deadline, error): nothing says its connections are gone.
                if (before is not null)
                    next[ns.Inode] = before;
                continue;
            }
            var ports = new HashSet<uint>();
            foreach (SocketEntry s in ns.Sockets)
            {
                uint key = Key(s.Protocol, s.LocalPort);
                if (s.LocalPort != 0 && (ns.IsService(s) || (before is not null && before.Contains(key))))
                    ports.Add(key);
            }
            if (ports.Count > 0)
                next[ns.Inode] = ports;
        }
        _byNamespace = next;
    }

    /// <summary>The remembered ports of one namespace, as of the last <see cref="Observe"/>.</summary>
    public View For(NetNsSnapshot ns) => new(_byNamespace.GetValueOrDefault(ns.Inode));

    public readonly struct View(HashSet<uint>? ports)
    {
        /// <summary>True when a service is, or was while this port's connections existed, on (protocol, port).</summary>
        public bool HadService(SocketProtocol protocol, ushort port) => ports is not null && ports.Contains(Key(protocol, port));
    }

    private static uint Key(SocketProtocol protocol, ushort port) => ((uint)protocol << 16) | port;
}
