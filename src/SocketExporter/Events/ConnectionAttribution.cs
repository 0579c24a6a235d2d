using SocketExporter.Collectors;
using SocketExporter.Linux.Events;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Events;

/// <summary>
/// What the last scrape knew, reduced to what attributing a destroy event needs; immutable, replaced each scrape,
/// so the event thread reads one without locks. Its size is bounded by that snapshot (its held connections and its
/// listeners), never by the event rate. The rule (README, "Between scrapes"):
/// <list type="bullet">
/// <item>a connection the scrape saw (same socket cookie; same 4-tuple where the table gave no cookie) gets the program that held it then;</item>
/// <item>else an inbound one gets the program of the listener on its port in that namespace;</item>
/// <item>else program="": an outbound connection born and gone between scrapes has no process left to name.</item>
/// </list>
/// Direction and port follow <see cref="ConnectionDirection"/>, as socket_connections does.
/// </summary>
public sealed class ConnectionAttribution
{
    private readonly record struct FourTuple(SocketFamily Family, InetAddress Local, ushort LocalPort, InetAddress Remote, ushort RemotePort);

    private sealed class Namespace(NetNsSnapshot directionRules, ListenerPortMemory.View services)
    {
        public readonly NetNsSnapshot DirectionRules = directionRules;
        public readonly ListenerPortMemory.View Services = services;
        // sock_diag gives every socket a cookie that no other socket of the namespace gets until reboot (sock_gen_cookie
        // draws from a 64-bit counter that is never reset), and every destroy event carries it: a word to hash, a third
        // of a 4-tuple entry, and a later connection reusing the 4-tuple is not mistaken for the one seen. /proc/net text
        // has no cookie: those connections are found by 4-tuple.
        public readonly Dictionary<ulong, string> SeenByCookie = [];
        public readonly Dictionary<FourTuple, string> SeenByTuple = [];
        public readonly Dictionary<ushort, string> ListenerPrograms = [];
    }

    private readonly Dictionary<ulong, Namespace> _namespaces;
    private readonly Dictionary<ulong, string> _labels;

    private ConnectionAttribution(Dictionary<ulong, Namespace> namespaces, Dictionary<ulong, string> labels)
    {
        _namespaces = namespaces;
        _labels = labels;
    }

    public static ConnectionAttribution Empty { get; } = new([], []);

    /// <summary>The netns label of namespace <paramref name="inode"/> as of the last scrape (the inode if it was not read).</summary>
    public string Label(ulong inode) =>
        _labels.TryGetValue(inode, out string? label) ? label : inode.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <param name="services">Already updated with this snapshot (its views are never changed afterwards).</param>
    public static ConnectionAttribution Build(ScrapeSnapshot snapshot, ListenerPortMemory services)
    {
        var namespaces = new Dictionary<ulong, Namespace>(snapshot.Namespaces.Count);
        var labels = new Dictionary<ulong, string>(snapshot.Namespaces.Count);
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            labels[ns.Inode] = ns.Label;
            // Only the namespace's port range is kept, not its socket lists (which the next scrape's read reuses).
            var rules = new NetNsSnapshot { Inode = ns.Inode, Label = ns.Label, Sockets = [], SocketTables = [], EphemeralPorts = ns.EphemeralPorts };
            var view = new Namespace(rules, services.For(ns));
            // Listeners first: a connection whose answer the listener rule already gives need not be remembered.
            foreach (SocketEntry s in ns.Services)
                if (s.Protocol == SocketProtocol.Tcp && s.State == SocketState.Listen
                    && FirstProgram(snapshot, snapshot.Owners.GetOwners(s.Inode)) is { Length: > 0 } program)
                    view.ListenerPrograms.TryAdd(s.LocalPort, program);
            // Which connections to remember, counted before the tables are made: sized by every connection instead (the
            // listener rule answers for half of them, the accepted ends), the cookie table was twice the size it needed,
            // 2.8 MB at 50,000 connections, made anew each scrape while the previous one still serves the event thread.
            IReadOnlyList<SocketEntry> sockets = ns.Sockets;
            SocketHolders holders = snapshot.Owners.HoldersOf(sockets);
            var remember = new System.Collections.BitArray(sockets.Count);
            int byCookie = 0, byTuple = 0;
            for (int i = 0; i < sockets.Count; i++)
            {
                SocketEntry s = sockets[i];
                if (s.Protocol != SocketProtocol.Tcp || s.State == SocketState.Listen || s.RemotePort == 0)
                    continue;
                string program = FirstProgram(snapshot, holders.Owners(i));
                if (program.Length == 0 || ListenerRuleGives(view, s, program))
                    continue;
                remember[i] = true;
                if (s.Cookie != 0) byCookie++; else byTuple++;
            }
            view.SeenByCookie.EnsureCapacity(byCookie);
            view.SeenByTuple.EnsureCapacity(byTuple);
            for (int i = 0; i < sockets.Count; i++)
            {
                if (!remember[i])
                    continue;
                SocketEntry s = sockets[i];
                string program = FirstProgram(snapshot, holders.Owners(i));
                if (s.Cookie != 0)
                    view.SeenByCookie[s.Cookie] = program;
                else
                    view.SeenByTuple[new FourTuple(s.Family, s.LocalAddress, s.LocalPort, s.RemoteAddress, s.RemotePort)] = program;
            }
            namespaces[ns.Inode] = view;
        }
        return new ConnectionAttribution(namespaces, labels);
    }

    /// <summary>Connections remembered by cookie or 4-tuple, all namespaces together (for tests: what the table costs).</summary>
    internal int RememberedConnections => _namespaces.Values.Sum(n => n.SeenByCookie.Count + n.SeenByTuple.Count);

    /// <summary>The room the tables were made with, all namespaces together (for tests: sized by what is remembered).</summary>
    internal int RememberedCapacity => _namespaces.Values.Sum(n => n.SeenByCookie.Capacity + n.SeenByTuple.Capacity);

    // True when Attribute would name <paramref name="program"/> for this connection without remembering it: an inbound
    // connection held by the program listening on its port (most of a server's connections). Only for a connection that
    // completed its handshake: a destroy event can then only be Closed, never ConnectFailed, which has no listener rule.
    private static bool ListenerRuleGives(Namespace view, in SocketEntry s, string program) =>
        s.State is SocketState.Established or SocketState.FinWait1 or SocketState.FinWait2 or SocketState.CloseWait
            or SocketState.LastAck or SocketState.Closing
        && view.ListenerPrograms.TryGetValue(s.LocalPort, out string? listener) && listener == program
        && ConnectionDirection.Classify(view.DirectionRules, view.Services, s).Inbound;

    /// <summary>The label set of an event from namespace <paramref name="netns"/>; null for sockets that were never connected.</summary>
    public ConnectionEventKey? Attribute(ulong netns, in TcpDestroyEvent ev)
    {
        TcpDestroyKind kind = ev.Kind;
        if (kind == TcpDestroyKind.NotConnected)
            return null;
        string label = Label(netns);
        _namespaces.TryGetValue(netns, out Namespace? ns);
        string seenProgram = "";
        if (ns is not null && (ns.SeenByCookie.TryGetValue(ev.Cookie, out string? seen)
                || ns.SeenByTuple.TryGetValue(new FourTuple(ev.Family, ev.LocalAddress, ev.LocalPort, ev.RemoteAddress, ev.RemotePort), out seen)))
            seenProgram = seen;

        if (kind == TcpDestroyKind.ConnectFailed)
        {
            // The port the client asked for: a service port by intent. 0 when a blocking connect's failure erased it.
            string port = ev.RemotePort == 0 ? UnknownPort : Labels.Port(ev.RemotePort);
            return new ConnectionEventKey(label, Inbound: false, port, seenProgram, Failure: true);
        }

        var entry = new SocketEntry(SocketProtocol.Tcp, ev.Family, SocketState.Established, ev.LocalAddress, ev.LocalPort,
            ev.RemoteAddress, ev.RemotePort, 0, 0, 0, 0);
        (bool inbound, ushort? classified) = ns is null
            ? ConnectionDirection.Classify(UnknownNamespace, default, entry)
            : ConnectionDirection.Classify(ns.DirectionRules, ns.Services, entry);
        string program = seenProgram;
        if (program.Length == 0 && inbound && ns is not null && ns.ListenerPrograms.TryGetValue(ev.LocalPort, out string? listener))
            program = listener;
        return new ConnectionEventKey(label, inbound, classified is ushort p ? Labels.Port(p) : ConnectionDirection.EphemeralPortLabel, program);
    }

    /// <summary>The port label of a failed blocking connect(), whose remote port the kernel zeroed before the event.</summary>
    public const string UnknownPort = "unknown";

    // A namespace no scrape has read yet: the default port range, no known services.
    private static readonly NetNsSnapshot UnknownNamespace = new() { Inode = 0, Label = "", Sockets = [], SocketTables = [] };

    private static string FirstProgram(ScrapeSnapshot snapshot, SocketOwnerIndex.OwnerEnumerator owners)
    {
        foreach (int process in owners)
            return Labels.Program(snapshot, process);
        return "";
    }
}
