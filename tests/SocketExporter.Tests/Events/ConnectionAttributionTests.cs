using SocketExporter.Collectors;
using SocketExporter.Events;
using SocketExporter.Linux.Events;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Collectors;

namespace SocketExporter.Tests.Events;

public sealed class ConnectionAttributionTests
{
    private static readonly InetAddress Loopback = InetAddress.FromBytes([127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    private static readonly TcpFinalInfo Established = new(280, 50, 0, 10, 1, 0, Delivered: 2, 0, 0);
    private static readonly TcpFinalInfo NeverEstablished = new(280, 0, 0, 0, 0, 0, Delivered: 0, 0, 0);

    private static SocketEntry Connection(ushort local, ushort remote, ulong inode, ulong cookie) =>
        new(SocketProtocol.Tcp, SocketFamily.Ipv4, SocketState.Established, Loopback, local, Loopback, remote, 0, 0, 0, inode, 0, cookie);

    private static TcpDestroyEvent Event(ushort local, ushort remote, ulong cookie, TcpFinalInfo info) =>
        new(SocketFamily.Ipv4, Loopback, local, Loopback, remote, cookie, info);

    /// <summary>A scrape that saw a server "web" listening on 8080 with one accepted connection from a client "curl".</summary>
    private static ulong _host;

    private static ConnectionAttribution Attribution()
    {
        var b = new SnapshotBuilding();
        b.Process(10, "web", null, 100, 101);
        b.Process(20, "curl", null, 200);
        return Build(b, out _host,
            SnapshotBuilding.TcpListener("127.0.0.1", 8080, 100, 0, 128),
            Connection(8080, 40000, 101, cookie: 7),
            Connection(40000, 8080, 200, cookie: 8));
    }

    /// <summary>The attribution a scrape of these sockets leaves, as the collector builds it.</summary>
    private static ConnectionAttribution Build(SnapshotBuilding b, out ulong host, params SocketEntry[] sockets)
    {
        ScrapeSnapshot snapshot = b.Build(sockets);
        host = snapshot.Namespaces[0].Inode;
        var services = new ListenerPortMemory();
        services.Observe(snapshot);
        return ConnectionAttribution.Build(snapshot, services);
    }

    [Fact]
    public void Attribute_ConnectionTheScrapeSaw_ItsHolderProgram()
    {
        ConnectionEventKey key = Attribution().Attribute(_host, Event(40000, 8080, cookie: 8, Established))!.Value;
        Assert.Equal(("host", false, "8080", "curl", false), (key.Netns, key.Inbound, key.Port, key.Program, key.Failure));
    }

    [Fact]
    public void Build_InboundHeldByTheListenersProgram_NotRememberedYetAttributedTheSame()
    {
        // Only curl's end is kept by 4-tuple: web's accepted end gets "web" from the listener rule, cookie or not.
        ConnectionAttribution a = Attribution();
        Assert.Equal(1, a.RememberedConnections);
        ConnectionEventKey seen = a.Attribute(_host, Event(8080, 40000, cookie: 7, Established))!.Value;
        ConnectionEventKey other = a.Attribute(_host, Event(8080, 40000, cookie: 99, Established))!.Value;
        Assert.Equal((true, "8080", "web"), (seen.Inbound, seen.Port, seen.Program));
        Assert.Equal(seen, other);
    }

    [Fact]
    public void Build_InboundHeldByAnotherProgramOrNotYetEstablished_Remembered()
    {
        // A connection handed to a worker of another name keeps the worker's name; web's own connect from its
        // listener's port (SO_REUSEADDR), still in flight (SYN_SENT), can fail, and failures have no listener rule.
        var b = new SnapshotBuilding();
        b.Process(10, "web", null, 100, 102);
        b.Process(11, "worker", null, 101);
        ConnectionAttribution a = Build(b, out ulong host,
            SnapshotBuilding.TcpListener("127.0.0.1", 8080, 100, 0, 128),
            Connection(8080, 40000, 101, cookie: 7),
            new SocketEntry(SocketProtocol.Tcp, SocketFamily.Ipv4, SocketState.SynSent, Loopback, 8080, Loopback, 40001, 0, 0, 0, 102, 0, 9));

        Assert.Equal(2, a.RememberedConnections);
        Assert.Equal("worker", a.Attribute(host, Event(8080, 40000, cookie: 7, Established))!.Value.Program);
        ConnectionEventKey failed = a.Attribute(host, Event(8080, 40001, cookie: 9, NeverEstablished))!.Value;
        Assert.Equal((true, "web"), (failed.Failure, failed.Program));
    }

    [Fact]
    public void Build_TablesSizedByTheConnectionsRemembered_NotByEveryConnection()
    {
        // 300 connections accepted by web (the listener rule answers for them) and 20 of curl's outbound ones.
        var b = new SnapshotBuilding();
        var sockets = new List<SocketEntry> { SnapshotBuilding.TcpListener("127.0.0.1", 8080, 100, 0, 128) };
        var webInodes = new List<ulong> { 100 };
        for (int i = 0; i < 300; i++)
        {
            sockets.Add(Connection(8080, (ushort)(40000 + i), 1000 + (ulong)i, cookie: 5000 + (ulong)i));
            webInodes.Add(1000 + (ulong)i);
        }
        var curlInodes = new List<ulong>();
        for (int i = 0; i < 20; i++)
        {
            sockets.Add(Connection((ushort)(41000 + i), 9090, 2000 + (ulong)i, cookie: 6000 + (ulong)i));
            curlInodes.Add(2000 + (ulong)i);
        }
        b.Process(10, "web", null, [.. webInodes]);
        b.Process(20, "curl", null, [.. curlInodes]);

        ConnectionAttribution a = Build(b, out ulong host, [.. sockets]);

        Assert.Equal(20, a.RememberedConnections);
        Assert.InRange(a.RememberedCapacity, 20, 40);
        Assert.Equal("curl", a.Attribute(host, Event(41007, 9090, cookie: 6007, Established))!.Value.Program);
        Assert.Equal("web", a.Attribute(host, Event(8080, 40123, cookie: 5123, Established))!.Value.Program);
    }

    [Fact]
    public void Attribute_ConnectionReadWithoutCookie_FoundByFourTuple()
    {
        // /proc/net text (another namespace read through /proc/PID/net) gives no cookie: the 4-tuple is all there is.
        var b = new SnapshotBuilding();
        b.Process(20, "curl", null, 200);
        ConnectionAttribution a = Build(b, out ulong host, Connection(40000, 8080, 200, cookie: 0));

        Assert.Equal(1, a.RememberedConnections);
        ConnectionEventKey key = a.Attribute(host, Event(40000, 8080, cookie: 77, Established))!.Value;
        Assert.Equal((false, "8080", "curl"), (key.Inbound, key.Port, key.Program));
    }

    [Fact]
    public void Attribute_SameFourTupleOtherCookie_NotTheConnectionSeen()
    {
        // A later connection reusing the 4-tuple: its client process is unknown.
        ConnectionEventKey key = Attribution().Attribute(_host, Event(40000, 8080, cookie: 99, Established))!.Value;
        Assert.Equal((false, "8080", ""), (key.Inbound, key.Port, key.Program));
    }

    [Fact]
    public void Attribute_InboundBornAndGoneBetweenScrapes_ListenerProgram()
    {
        ConnectionEventKey key = Attribution().Attribute(_host, Event(8080, 45000, cookie: 50, Established))!.Value;
        Assert.Equal((true, "8080", "web"), (key.Inbound, key.Port, key.Program));
    }

    [Fact]
    public void Attribute_OutboundNobodySaw_EmptyProgramRemotePort()
    {
        ConnectionEventKey key = Attribution().Attribute(_host, Event(45001, 5432, cookie: 51, Established))!.Value;
        Assert.Equal((false, "5432", ""), (key.Inbound, key.Port, key.Program));
    }

    [Fact]
    public void Attribute_BothPortsEphemeralAndUnknown_PortIsEphemeralNeverANumber()
    {
        ConnectionEventKey key = Attribution().Attribute(_host, Event(45002, 45003, cookie: 52, Established))!.Value;
        Assert.Equal(ConnectionDirection.EphemeralPortLabel, key.Port);
    }

    [Fact]
    public void Attribute_FailedConnects_FailureKeysWithTheRemotePortOrUnknown()
    {
        ConnectionAttribution a = Attribution();
        ConnectionEventKey refused = a.Attribute(_host, Event(45004, 6379, cookie: 53, NeverEstablished))!.Value;
        Assert.Equal((true, "6379", ""), (refused.Failure, refused.Port, refused.Program));
        // A blocking connect()'s failure: the kernel zeroed the remote port, kept the remote address.
        ConnectionEventKey erased = a.Attribute(_host, Event(45005, 0, cookie: 54, NeverEstablished))!.Value;
        Assert.Equal((true, ConnectionAttribution.UnknownPort), (erased.Failure, erased.Port));
    }

    [Fact]
    public void Attribute_ClosedListener_NotCounted()
    {
        var listener = new TcpDestroyEvent(SocketFamily.Ipv4, Loopback, 8080, default, 0, 60, NeverEstablished);
        Assert.Null(Attribution().Attribute(_host, listener));
    }

    [Fact]
    public void Attribute_NamespaceNoScrapeRead_LabelledByInodeDefaultRules()
    {
        ConnectionEventKey key = Attribution().Attribute(4026532000, Event(45006, 443, cookie: 61, Established))!.Value;
        Assert.Equal(("4026532000", false, "443"), (key.Netns, key.Inbound, key.Port));
    }
}
