using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// Ports the kernel picked for clients never become label values (issue 18, items 2, 3 and 7), compared with ss at the
/// same moment. The scenarios run in a network namespace the test makes, with an ephemeral port range unlike the
/// kernel's default (so the exporter must read the namespace's own), except the bound-only sockets, which must be read
/// through the host namespace's sock_diag to show the defect.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EphemeralPortTests : IDisposable
{
    private const int RangeFirst = 40000, RangeLast = 49999;
    private const int ListenerInRange = 45000, ListenerOutsideRange = 30000;
    private readonly string _name = $"se-eph-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
    private readonly string _netns;

    public EphemeralPortTests()
    {
        ToolRunner.Run("ip", "netns", "add", _name);
        ToolRunner.Run("ip", "-n", _name, "link", "set", "lo", "up");
        ToolRunner.Run("ip", "netns", "exec", _name, "sh", "-c", $"echo '{RangeFirst} {RangeLast}' > /proc/sys/net/ipv4/ip_local_port_range");
        _netns = ToolRunner.Run("stat", "-L", "-c", "%i", $"/run/netns/{_name}").Trim();
    }

    private string[] Inside => ["ip", "netns", "exec", _name];

    [Fact]
    public void AcceptedConnections_OfAClosedThenKilledServer_AreInboundOnItsPort_NeverOnClientPorts()
    {
        const int count = 20;
        using HolderProcess drain = HolderProcess.StartScript("port_scenarios.py", Inside, "drain", count.ToString(), ListenerInRange.ToString(), ListenerOutsideRange.ToString());
        var clientPorts = drain.Ints("client_ports").Select(p => p.ToString()).ToHashSet();
        Assert.Equal(2 * count, clientPorts.Count);
        Assert.All(clientPorts, p => Assert.InRange(int.Parse(p), RangeFirst, RangeLast));   // the namespace's range is in force

        using ExporterProcess sawListener = ExporterProcess.Start();
        Assert.Equal(count, Connections(sawListener.ScrapeMetrics(), "established", "inbound", ListenerInRange.ToString()));

        // The listeners close; the accepted connections stay (a draining server, an sshd whose daemon restarted).
        drain.Send("close-listeners");
        using ExporterProcess late = ExporterProcess.Start();   // never saw a listener
        CompareWithSs("established", sawListener, late, clientPorts);

        // The server is killed and the clients close: the server's side is left in TIME_WAIT, held by no process.
        drain.Send("kill-server");
        drain.Send("close-clients");
        // Settled: every server side in TIME_WAIT, nothing still closing. A client that closes before the server's FIN
        // reaches it (a simultaneous close) is left in TIME_WAIT too: those count as the clients' own, outbound.
        string[] closing = ["FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "LAST-ACK", "CLOSING"];
        string Settled()
        {
            List<SsSocket> now = SsInside();
            int server = now.Count(s => s.State == "TIME-WAIT" && (s.LocalPort == ListenerInRange || s.LocalPort == ListenerOutsideRange));
            int moving = now.Count(s => closing.Contains(s.State));
            return $"server time_wait {server}, closing {moving};";
        }
        Assert.True(ExporterProcess.WaitForText(Settled, $"server time_wait {2 * count}, closing 0;", TimeSpan.FromSeconds(30)),
            $"the server's sockets did not reach TIME_WAIT: {Settled()}");
        CompareWithSs("time_wait", sawListener, late, clientPorts);
    }

    /// <summary>
    /// Scrapes both exporters between two ss runs inside the namespace and checks, for the connections in
    /// <paramref name="state"/>: the exporter that saw the listeners counts the accepted side inbound and the clients
    /// outbound on each listener's port; the one that never did does so for the listener outside the ephemeral range and
    /// says "ephemeral" for the one inside it; no series of the namespace carries a client's port.
    /// </summary>
    private void CompareWithSs(string state, ExporterProcess sawListener, ExporterProcess late, HashSet<string> clientPorts)
    {
        string ssState = state == "established" ? "ESTAB" : "TIME-WAIT";
        List<SsSocket> before = SsInside();
        MetricSet remembered = sawListener.ScrapeMetrics(), ruled = late.ScrapeMetrics();
        List<SsSocket> after = SsInside();
        Assert.Equal(Lines(before), Lines(after));   // nothing moved during the scrapes

        int Local(int port) => before.Count(s => s.Protocol == "tcp" && s.State == ssState && s.LocalPort == port);
        int Remote(int port) => before.Count(s => s.Protocol == "tcp" && s.State == ssState && s.PeerPort == port);
        Assert.Equal(20, Local(ListenerInRange));   // so that equal counts cannot be two zeros
        foreach (int port in new[] { ListenerInRange, ListenerOutsideRange })
        {
            Assert.Equal(Local(port), Connections(remembered, state, "inbound", port.ToString()));
            Assert.Equal(Remote(port), Connections(remembered, state, "outbound", port.ToString()));
        }
        Assert.Equal(Local(ListenerOutsideRange), Connections(ruled, state, "inbound", ListenerOutsideRange.ToString()));
        Assert.Equal(Remote(ListenerOutsideRange), Connections(ruled, state, "outbound", ListenerOutsideRange.ToString()));
        Assert.Equal(Local(ListenerInRange) + Remote(ListenerInRange), Connections(ruled, state, "outbound", "ephemeral"));

        foreach (MetricSet metrics in new[] { remembered, ruled })
        {
            var ports = metrics.Samples.Where(s => s["netns"] == _netns && s.Labels.ContainsKey("port")).Select(s => s["port"]).ToHashSet();
            Assert.True(ports.Count >= 1);
            Assert.Empty(ports.Intersect(clientPorts));
            Assert.Subset(new HashSet<string> { ListenerInRange.ToString(), ListenerOutsideRange.ToString(), "ephemeral" }, ports);
        }
    }

    [Theory]
    [InlineData("auto")]     // the host namespace is read with sock_diag, which reports bound-only sockets as CLOSE
    [InlineData("procfs")]   // /proc/net/tcp never lists them
    public void BoundOnlyTcpSockets_AreNotConnections_AsInSs(string source)
    {
        using HolderProcess bound = HolderProcess.StartScript("port_scenarios.py", [], "bound", "4");
        string pid = bound.Pid.ToString();
        using ExporterProcess exporter = ExporterProcess.Start([$"--socket.source={source}"]);

        List<SsSocket> before = Ss.TcpUdpWithProcesses();
        MetricSet metrics = exporter.ScrapeMetrics();
        List<SsSocket> after = Ss.TcpUdpWithProcesses();

        // ss shows none of them, before or after (`ss -tuanp`: all states).
        Assert.DoesNotContain(before.Concat(after), s => s.Users.Any(u => u.Pid == bound.Pid));
        // The exporter saw the process and its four sockets...
        Assert.Equal(4, Assert.Single(metrics.Named("socket_process_fds"), s => s["pid"] == pid && s["kind"] == "socket").Value);
        // ...and, like ss, exports no connection or listener for them.
        Assert.DoesNotContain(metrics.Samples, s => s["pid"] == pid && s.Name is "socket_connections" or "socket_listening" or "socket_queued_bytes");
        Assert.DoesNotContain(metrics.Named("socket_connections"), s => s["protocol"] == "tcp" && s["state"] == "close");
    }

    [Fact]
    public void UdpSocketBoundBySendto_IsNotListed_ButCounted_WhileOneBoundOutsideTheRangeIs()
    {
        // 55000 is inside the kernel's default range but outside this namespace's: listed only if the namespace's
        // own range was read.
        using HolderProcess udp = HolderProcess.StartScript("port_scenarios.py", Inside, "udp", ListenerOutsideRange.ToString(), "55000");
        int sender = udp.Int("sender_port");
        Assert.InRange(sender, RangeFirst, RangeLast);
        using ExporterProcess exporter = ExporterProcess.Start();

        List<SsSocket> before = SsInside();
        MetricSet metrics = exporter.ScrapeMetrics();
        Assert.Equal(Lines(before), Lines(SsInside()));

        var unconnected = before.Where(s => s.Protocol == "udp" && s.State == "UNCONN").Select(s => s.LocalPort).ToHashSet();
        Assert.Equal(new HashSet<int> { ListenerOutsideRange, 55000, sender }, unconnected);
        var listed = metrics.Named("socket_listening").Where(s => s["netns"] == _netns && s["protocol"] == "udp")
            .Select(s => int.Parse(s["port"])).ToHashSet();
        Assert.Equal(unconnected.Where(p => p is < RangeFirst or > RangeLast).ToHashSet(), listed);
        Assert.Equal(2, listed.Count);
        Assert.DoesNotContain(metrics.Samples, s => s["netns"] == _netns && s["port"] == sender.ToString());
        // Not dropped: counted, without a port.
        Sample client = Assert.Single(metrics.Named("socket_connections"), s => s["netns"] == _netns && s["protocol"] == "udp");
        Assert.Equal(("close", "outbound", "", udp.Pid.ToString(), 1.0), (client["state"], client["direction"], client["port"], client["pid"], client.Value));
    }

    private List<SsSocket> SsInside() => Ss.Parse(ToolRunner.Run("ip", "netns", "exec", _name, "ss", "-tuanpH"));

    private static List<string> Lines(List<SsSocket> ss) =>
        ss.Select(s => $"{s.Protocol} {s.State} {s.LocalPort} {s.PeerPort}").Order().ToList();

    private double Connections(MetricSet metrics, string state, string direction, string port) =>
        metrics.Named("socket_connections").Where(s => s["netns"] == _netns && s["protocol"] == "tcp" && s["state"] == state
            && s["direction"] == direction && s["port"] == port).Sum(s => s.Value);

    public void Dispose() => ToolRunner.Run("ip", "netns", "delete", _name);
}
