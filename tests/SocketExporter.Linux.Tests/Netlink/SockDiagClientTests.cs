using System.Net;
using System.Net.Sockets;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.Netlink;

/// <summary>Real-kernel dumps compared with ss, only for sockets this test opened.</summary>
[Trait("Category", "Integration")]
public sealed class SockDiagClientTests
{
    [Fact]
    public void DumpInet_Tcp4_MatchesSsForSocketsThisTestOwns()
    {
        using var trio = new OwnTcpTrio(IPAddress.Loopback);

        var ours = Dump(SocketFamily.Ipv4, SocketProtocol.Tcp, trio.Port, out List<SocketEntry> entries);
        var theirs = Stable(Ss.Query("-H", "-t", "-a", "-n", "-e", "-4", $"( sport = :{trio.Port} or dport = :{trio.Port} )"));

        Assert.Equal(3, ours.Count);   // listener + both ends, so "empty equals empty" cannot pass
        Assert.Equal(theirs, ours);
        Assert.Contains((SocketState.Listen, trio.Port, (ushort)0, trio.ListenerInode), ours);
        Assert.Equal(trio.Inodes.Order(), ours.Select(s => s.Inode).Order());
        Assert.All(entries, e => Assert.Equal(("127.0.0.1", SocketProtocol.Tcp), (e.LocalAddress.Format(SocketFamily.Ipv4), e.Protocol)));
    }

    [Fact]
    public void DumpInet_Tcp6_MatchesSsForSocketsThisTestOwns()
    {
        using var trio = new OwnTcpTrio(IPAddress.IPv6Loopback);

        var ours = Dump(SocketFamily.Ipv6, SocketProtocol.Tcp, trio.Port, out List<SocketEntry> entries);
        var theirs = Stable(Ss.Query("-H", "-t", "-a", "-n", "-e", "-6", $"( sport = :{trio.Port} or dport = :{trio.Port} )"));

        Assert.Equal(3, ours.Count);
        Assert.Equal(theirs, ours);
        Assert.All(entries, e => Assert.Equal((SocketFamily.Ipv6, "::1"), (e.Family, e.LocalAddress.Format(SocketFamily.Ipv6))));
    }

    [Fact]
    public void DumpInet_Udp4_MatchesSsForSocketsThisTestOwns()
    {
        using var server = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        ushort port = (ushort)((IPEndPoint)server.Client.LocalEndPoint!).Port;
        using var first = new UdpClient(AddressFamily.InterNetwork);
        first.Connect(IPAddress.Loopback, port);
        using var second = new UdpClient(AddressFamily.InterNetwork);
        second.Connect(IPAddress.Loopback, port);

        var ours = Dump(SocketFamily.Ipv4, SocketProtocol.Udp, port, out _);
        var theirs = Stable(Ss.Query("-H", "-u", "-a", "-n", "-e", "-4", $"( sport = :{port} or dport = :{port} )"));

        Assert.Equal(3, ours.Count);   // one bound (UNCONN, state 7) + two connected (state 1)
        Assert.Equal(theirs, ours);
        Assert.Contains((SocketState.Close, port, (ushort)0, SocketInode.Of(server.Client)), ours);
        Assert.Equal(2, ours.Count(s => s.State == SocketState.Established && s.RemotePort == port));
    }

    [Fact]
    public void DumpTcp_BothFamiliesInOneDump_MatchSsForSocketsThisTestOwns()
    {
        using var v4 = new OwnTcpTrio(IPAddress.Loopback);
        using var v6 = new OwnTcpTrio(IPAddress.IPv6Loopback);
        Assert.Equal(0, SockDiagClient.TryOpen(out SockDiagClient? client));
        using (client)
        {
            var sink = new List<SocketEntry>();
            DumpResult result = client!.DumpTcp(sink);

            Assert.True(result.Succeeded, result.Error?.ToString());
            Assert.Equal(sink.Count, result.Sockets);
            Assert.All(sink, s => Assert.Equal(SocketProtocol.Tcp, s.Protocol));
            foreach ((OwnTcpTrio trio, SocketFamily family, string flag) in new[] { (v4, SocketFamily.Ipv4, "-4"), (v6, SocketFamily.Ipv6, "-6") })
            {
                var ours = Stable(sink.Where(s => s.LocalPort == trio.Port || s.RemotePort == trio.Port)
                    .Select(s => (s.State, s.LocalPort, s.RemotePort, s.Inode)).ToHashSet());
                Assert.Equal(3, ours.Count);
                Assert.Equal(Stable(Ss.Query("-H", "-t", "-a", "-n", "-e", flag, $"( sport = :{trio.Port} or dport = :{trio.Port} )")), ours);
                Assert.All(sink.Where(s => trio.Inodes.Contains(s.Inode)), s => Assert.Equal(family, s.Family));
            }
            // The same sockets, once each: the per-family dumps together give the same inodes.
            var perFamily = new List<SocketEntry>();
            Assert.True(client.DumpInet(SocketFamily.Ipv4, SocketProtocol.Tcp, perFamily).Succeeded);
            Assert.True(client.DumpInet(SocketFamily.Ipv6, SocketProtocol.Tcp, perFamily).Succeeded);
            ulong[] ownInodes = [.. v4.Inodes, .. v6.Inodes];
            Assert.Equal(ownInodes.Order(), sink.Select(s => s.Inode).Where(ownInodes.Contains).Order());
            Assert.Equal(ownInodes.Order(), perFamily.Select(s => s.Inode).Where(ownInodes.Contains).Order());
        }
    }

    [Fact]
    public void DumpTcp_LocalPortFilter_KernelReturnsOnlyThatPortsSocketsOfBothFamilies()
    {
        using var v4 = new OwnTcpTrio(IPAddress.Loopback);
        using var other = new OwnTcpTrio(IPAddress.IPv6Loopback);
        Assert.Equal(0, SockDiagClient.TryOpen(out SockDiagClient? client));
        using (client)
        {
            var sink = new List<SocketEntry>();
            DumpResult result = client!.DumpTcp(sink, v4.Port);

            Assert.True(result.Succeeded, result.Error?.ToString());
            Assert.All(sink, s => Assert.Equal(v4.Port, s.LocalPort));
            Assert.Contains(v4.ListenerInode, sink.Select(s => s.Inode));
            Assert.DoesNotContain(sink, s => other.Inodes.Contains(s.Inode));
        }
    }

    [Fact]
    public void Dumps_DoNotAskForBoundOnlySockets_NorGetThem()
    {
        // bind() without listen() or connect(): on Linux 6.8+ the kernel would report it from its bind table, walking
        // every bound socket a second time, if the dump asked for TCP_BOUND_INACTIVE. ss and lsof never list it.
        using var boundV4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        boundV4.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var boundV6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        boundV6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        using var trio = new OwnTcpTrio(IPAddress.Loopback);
        ulong[] boundOnly = [SocketInode.Of(boundV4), SocketInode.Of(boundV6)];
        Assert.Equal(0, SockDiagClient.TryOpen(out SockDiagClient? client));
        using (client)
        {
            var together = new List<SocketEntry>();
            var perFamily = new List<SocketEntry>();
            Assert.True(client!.DumpTcp(together).Succeeded);
            Assert.True(client.DumpInet(SocketFamily.Ipv4, SocketProtocol.Tcp, perFamily).Succeeded);
            Assert.True(client.DumpInet(SocketFamily.Ipv6, SocketProtocol.Tcp, perFamily).Succeeded);

            Assert.DoesNotContain(together, s => boundOnly.Contains(s.Inode));
            Assert.DoesNotContain(perFamily, s => boundOnly.Contains(s.Inode));
            Assert.Contains(together, s => s.Inode == trio.ListenerInode);   // the same dumps do list the listener
            Assert.Empty(Ss.Query("-H", "-t", "-a", "-n", $"( sport = :{((IPEndPoint)boundV4.LocalEndPoint!).Port} )"));
        }
    }

    [Fact]
    public void DumpInet_ListenStateOnly_ReturnsOnlyTheListener()
    {
        using var trio = new OwnTcpTrio(IPAddress.Loopback);
        Assert.Equal(0, SockDiagClient.TryOpen(out SockDiagClient? client));
        using (client)
        {
            var sink = new List<SocketEntry>();
            DumpResult result = client!.DumpInet(SocketFamily.Ipv4, SocketProtocol.Tcp, sink, states: 1u << (int)SocketState.Listen);

            Assert.True(result.Succeeded, result.Error?.ToString());
            Assert.Equal(sink.Count, result.Sockets);
            Assert.All(sink, s => Assert.Equal(SocketState.Listen, s.State));
            SocketEntry ours = Assert.Single(sink, s => s.LocalPort == trio.Port || s.RemotePort == trio.Port);
            Assert.Equal(trio.ListenerInode, ours.Inode);
        }
    }

    [Fact]
    public void DumpInet_LocalPortFilter_KernelReturnsOnlyThatPortsSockets()
    {
        using var trio = new OwnTcpTrio(IPAddress.Loopback);
        using var other = new OwnTcpTrio(IPAddress.Loopback);   // another port: must be filtered out by the kernel
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, trio.Port));   // same port number, UDP
        Assert.Equal(0, SockDiagClient.TryOpen(out SockDiagClient? client));
        using (client)
        {
            var tcp = new List<SocketEntry>();
            var udps = new List<SocketEntry>();
            DumpResult t = client!.DumpInet(SocketFamily.Ipv4, SocketProtocol.Tcp, tcp, trio.Port);
            DumpResult u = client.DumpInet(SocketFamily.Ipv4, SocketProtocol.Udp, udps, trio.Port);

            Assert.True(t.Succeeded && u.Succeeded, (t.Error ?? u.Error)?.ToString());
            // The listener and the accepted end have the local port; the client end has an ephemeral one.
            Assert.Equal(2, tcp.Count);
            Assert.All(tcp, s => Assert.Equal(trio.Port, s.LocalPort));
            Assert.Contains(trio.ListenerInode, tcp.Select(s => s.Inode));
            Assert.DoesNotContain(tcp, s => other.Inodes.Contains(s.Inode));
            SocketEntry bound = Assert.Single(udps);
            Assert.Equal(SocketInode.Of(udp.Client), bound.Inode);
        }
    }

    [Fact]
    public void DumpInet_SeveralDumpsOnOneClient_EachSucceeds()
    {
        using var trio = new OwnTcpTrio(IPAddress.Loopback);
        Assert.Equal(0, SockDiagClient.TryOpen(out SockDiagClient? client));
        using (client)
        {
            var sink = new List<SocketEntry>();
            DumpResult tcp = client!.DumpInet(SocketFamily.Ipv4, SocketProtocol.Tcp, sink);
            DumpResult udp = client.DumpInet(SocketFamily.Ipv4, SocketProtocol.Udp, sink);
            DumpResult again = client.DumpInet(SocketFamily.Ipv4, SocketProtocol.Tcp, sink);

            Assert.True(tcp.Succeeded && udp.Succeeded && again.Succeeded, (tcp.Error ?? udp.Error ?? again.Error)?.ToString());
            Assert.Equal(sink.Count, tcp.Sockets + udp.Sockets + again.Sockets);
            Assert.Equal(2, sink.Count(s => s.Protocol == SocketProtocol.Tcp && s.Inode == trio.ListenerInode));
        }
    }

    [Fact]
    public void DumpInet_KernelRejectsTheRequest_FailsAndLeavesTheSinkAsItWas()
    {
        Assert.Equal(0, SockDiagClient.TryOpen(out SockDiagClient? client));
        using (client)
        {
            SocketEntry earlier = new(SocketProtocol.Tcp, SocketFamily.Ipv4, SocketState.Listen, default, 1, default, 0, 0, 0, 0, 42);
            var sink = new List<SocketEntry> { earlier };

            // sock_diag rejects sdiag_family >= AF_MAX with EINVAL (net/core/sock_diag.c __sock_diag_cmd).
            DumpResult result = client!.DumpInet((SocketFamily)99, SocketProtocol.Tcp, sink);

            Assert.False(result.Succeeded);
            Assert.Equal(SocketExporter.Linux.Interop.Constants.EINVAL, result.Error?.Errno);
            Assert.Equal(0, result.Sockets);
            Assert.Equal([earlier], sink);
        }
    }

    // TIME_WAIT entries (inode 0, held by nobody) can linger on a port from earlier connections; only states that
    // stay put while this test holds both ends are compared.
    [Fact]
    public void DumpInet_ListenerBoundToLo_CarriesTheDevice_NamedAsSsNamesIt()
    {
        using var bound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        bound.SetRawSocketOption(SocketOptionLevelSocket, SoBindToDevice, "lo\0"u8);
        bound.Bind(new IPEndPoint(IPAddress.Any, 0));
        bound.Listen(7);
        ushort port = (ushort)((IPEndPoint)bound.LocalEndPoint!).Port;

        Assert.Equal(0, SockDiagClient.TryOpen(out SockDiagClient? client));
        using (client)
        {
            var entries = new List<SocketEntry>();
            Assert.True(client!.DumpInet(SocketFamily.Ipv4, SocketProtocol.Tcp, entries).Succeeded);
            SocketEntry listener = Assert.Single(entries, e => e.LocalPort == port);
            Assert.Equal(1u, listener.BoundInterface);   // lo is ifindex 1 in every namespace
            IReadOnlyDictionary<uint, string> names = client.ReadInterfaceNames(entries);
            // ss writes the same socket as 0.0.0.0%lo:PORT
            var info = new System.Diagnostics.ProcessStartInfo("ss") { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string a in new[] { "-Hltn", $"sport = :{port}" }) info.ArgumentList.Add(a);
            using var ss = System.Diagnostics.Process.Start(info)!;
            string line = Assert.Single(ss.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], $"0.0.0.0%{names[listener.BoundInterface]}:{port}");
        }
    }

    private const int SocketOptionLevelSocket = 1, SoBindToDevice = 25;   // SOL_SOCKET, SO_BINDTODEVICE (asm-generic/socket.h)

    private static HashSet<(SocketState State, ushort LocalPort, ushort RemotePort, ulong Inode)> Stable(
        HashSet<(SocketState State, ushort LocalPort, ushort RemotePort, ulong Inode)> sockets) =>
        sockets.Where(s => s.State != SocketState.TimeWait).ToHashSet();

    private static HashSet<(SocketState State, ushort LocalPort, ushort RemotePort, ulong Inode)> Dump(
        SocketFamily family, SocketProtocol protocol, ushort port, out List<SocketEntry> ours)
    {
        int errno = SockDiagClient.TryOpen(out SockDiagClient? client);
        Assert.Equal(0, errno);
        Assert.NotNull(client);
        using (client)
        {
            var sink = new List<SocketEntry>();
            DumpResult result = client.DumpInet(family, protocol, sink);
            Assert.True(result.Succeeded, result.Error?.ToString());
            Assert.Equal(sink.Count, result.Sockets);
            Assert.All(sink, s => Assert.Equal((family, protocol), (s.Family, s.Protocol)));
            ours = sink.Where(s => s.LocalPort == port || s.RemotePort == port).ToList();
            return Stable(ours.Select(s => (s.State, s.LocalPort, s.RemotePort, s.Inode)).ToHashSet());
        }
    }
}
