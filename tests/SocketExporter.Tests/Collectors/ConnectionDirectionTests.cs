using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Tests.Collectors;

/// <summary>The direction rule and the listener memory on hand-built snapshots (README, "From netstat to metrics").</summary>
[Trait("Category", "Unit")]
public sealed class ConnectionDirectionTests
{
    private static readonly EphemeralPortRange Range = new(40000, 49999);

    private static SocketEntry Tcp(SocketState state, ushort local, ushort remote) =>
        new(SocketProtocol.Tcp, SocketFamily.Ipv4, state, default, local, default, remote, 0, 0, 0, 0);

    private static SocketEntry Udp(ushort local, ushort remote = 0) =>
        new(SocketProtocol.Udp, SocketFamily.Ipv4, remote == 0 ? SocketState.Close : SocketState.Established, default, local, default, remote, 0, 0, 0, 0);

    private static NetNsSnapshot Namespace(params SocketEntry[] sockets) => new()
    {
        Inode = 7, Label = "7", Sockets = sockets, EphemeralPorts = Range,
        SocketTables = [new SocketTableStatus(SocketProtocol.Tcp, SocketFamily.Ipv4, SocketSource.Netlink, sockets.Length, 0, null, null)],
    };

    private static ScrapeSnapshot Snapshot(NetNsSnapshot ns) => new SnapshotBuilding().FromNamespaces(ns);

    private static (bool, ushort?) Classify(ListenerPortMemory memory, NetNsSnapshot ns, SocketEntry s)
    {
        memory.Observe(Snapshot(ns));
        return ConnectionDirection.Classify(ns, memory.For(ns), s);
    }

    [Theory]
    [InlineData(45000, 41000, true, 45000)]     // the local port has a listener: inbound, even inside the range
    [InlineData(41000, 45000, false, 45000)]    // the remote port is this namespace's listener: outbound
    [InlineData(8080, 41000, true, 8080)]       // no listener; local port bound on purpose (outside the range): inbound
    [InlineData(41000, 5432, false, 5432)]      // no listener; local port ephemeral, remote not: outbound
    [InlineData(41000, 42000, false, null)]     // both ephemeral, no listener: no port at all
    [InlineData(700, 2049, true, 700)]          // explicit source port outside the range: inbound (documented)
    public void Classify_ByListenerThenRange_NeverLabelsAnEphemeralPortWithoutAListener(int local, int remote, bool inbound, int? port)
    {
        SocketEntry connection = Tcp(SocketState.Established, (ushort)local, (ushort)remote);
        NetNsSnapshot ns = Namespace(Tcp(SocketState.Listen, 45000, 0), connection);
        Assert.Equal((inbound, (ushort?)port), Classify(new ListenerPortMemory(), ns, connection));
    }

    [Fact]
    public void Observe_ListenerClosed_RemembersThePortWhileConnectionsUseIt_ThenForgets()
    {
        var memory = new ListenerPortMemory();
        SocketEntry accepted = Tcp(SocketState.Established, 45000, 41000);
        Assert.Equal((true, (ushort?)45000), Classify(memory, Namespace(Tcp(SocketState.Listen, 45000, 0), accepted), accepted));

        // The listener is gone; the accepted connection, then its TIME_WAIT, keep the port remembered.
        Assert.Equal((true, (ushort?)45000), Classify(memory, Namespace(accepted), accepted));
        SocketEntry timeWait = Tcp(SocketState.TimeWait, 45000, 41000);
        Assert.Equal((true, (ushort?)45000), Classify(memory, Namespace(timeWait), timeWait));

        // One scrape without any socket on the port: forgotten; a later connection there is judged by the range.
        memory.Observe(Snapshot(Namespace()));
        SocketEntry later = Tcp(SocketState.Established, 45000, 41001);
        Assert.Equal((false, (ushort?)null), Classify(memory, Namespace(later), later));
    }

    [Fact]
    public void Observe_NamespaceUnread_KeepsWhatItRemembered()
    {
        var memory = new ListenerPortMemory();
        SocketEntry accepted = Tcp(SocketState.Established, 45000, 41000);
        memory.Observe(Snapshot(Namespace(Tcp(SocketState.Listen, 45000, 0), accepted)));
        NetNsSnapshot unread = new() { Inode = 7, Label = "7", Sockets = [], SocketTables = [], Method = NetNsMethod.Skipped };
        memory.Observe(Snapshot(unread));
        Assert.Equal((true, (ushort?)45000), Classify(memory, Namespace(accepted), accepted));
    }

    [Theory]
    [InlineData(30000, true)]    // below the range
    [InlineData(55000, true)]    // above it
    [InlineData(45695, false)]   // inside: bound by the kernel at a sendto(), for all sock_diag can tell
    [InlineData(53, true)]       // privileged
    public void IsService_UnconnectedUdp_ByPort(int port, bool service)
    {
        NetNsSnapshot ns = Namespace(Udp((ushort)port));
        Assert.Equal(service, ns.IsService(ns.Sockets[0]));
        Assert.False(ns.IsService(Udp((ushort)port, 53)));   // connected: a connection, never a service
    }

    [Fact]
    public void IsService_PrivilegedPortInsideAWideRange_IsAService()
    {
        NetNsSnapshot ns = new()
        {
            Inode = 7, Label = "7", Sockets = [], SocketTables = [], EphemeralPorts = new EphemeralPortRange(1, 65535),
        };
        Assert.True(ns.IsService(Udp(123)));
        Assert.False(ns.IsService(Udp(1024)));
    }

    [Fact]
    public void Services_AreTheSocketsIsServiceNames_InTheirOrder()
    {
        // Listeners, connections, a client's ephemeral UDP socket and UDP services, interleaved.
        SocketEntry[] sockets =
        [
            Tcp(SocketState.Established, 8080, 40001), Tcp(SocketState.Listen, 8080, 0), Udp(41000), Udp(53),
            Tcp(SocketState.TimeWait, 40002, 443), Udp(5353, 53), Tcp(SocketState.Listen, 22, 0), Udp(123),
        ];
        NetNsSnapshot ns = Namespace(sockets);

        Assert.Equal(sockets.Where(s => ns.IsService(s)), ns.Services);
        Assert.Equal([8080, 53, 22, 123], ns.Services.Select(s => (int)s.LocalPort));
        Assert.Same(ns.Services, ns.Services);   // built once
    }
}

