using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// A network namespace made by the test (ip netns add) with a listener on the same port as a host listener:
/// both are exported, attributed to their pids, apart by netns; with CAP_SYS_ADMIN dropped the namespace is still
/// read, through /proc/PID/net.
/// </summary>
[Trait("Category", "Integration")]
public sealed class NetworkNamespaceTests : IDisposable
{
    private readonly string _name = $"se-test-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    public NetworkNamespaceTests()
    {
        ToolRunner.Run("ip", "netns", "add", _name);
        ToolRunner.Run("ip", "-n", _name, "link", "set", "lo", "up");
    }

    [Theory]
    [InlineData(true)]    // as root: setns + sock_diag inside the namespace
    [InlineData(false)]   // CAP_SYS_ADMIN dropped: /proc/PID/net of a process inside
    public void SamePortInTwoNamespaces_BothExportedApartAndClassifiedPerNamespace(bool withSysAdmin)
    {
        using HolderProcess host = HolderProcess.Start("netns", "0");
        string port = host.Int("port").ToString();
        using HolderProcess inside = HolderProcess.StartWith(["ip", "netns", "exec", _name], "netns", port);
        Assert.Equal(host.Int("port"), inside.Int("port"));

        IReadOnlyList<string>? command = withSysAdmin ? null
            : ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", "dotnet", RepoPaths.ExporterDll];
        using ExporterProcess exporter = ExporterProcess.Start(command: command);
        MetricSet metrics = exporter.ScrapeMetrics();

        Sample hostListener = Assert.Single(metrics.Named("socket_listening"), s => s["port"] == port && s["pid"] == host.Pid.ToString());
        Sample nsListener = Assert.Single(metrics.Named("socket_listening"), s => s["port"] == port && s["pid"] == inside.Pid.ToString());
        Assert.Equal("host", hostListener["netns"]);
        string netns = nsListener["netns"];
        Assert.NotEqual("host", netns);
        Assert.Equal(InodeOf($"/run/netns/{_name}"), netns);

        // Inside the namespace, the accepted side is inbound on the port, the client outbound to it.
        foreach (string direction in new[] { "inbound", "outbound" })
        {
            Sample c = Assert.Single(metrics.Named("socket_connections"), s => s["netns"] == netns && s["pid"] == inside.Pid.ToString()
                && s["direction"] == direction && s["state"] == "established");
            Assert.Equal((port, 1.0), (c["port"], c.Value));
        }
        Assert.Equal(netns, Assert.Single(metrics.Named("socket_process_info"), s => s["pid"] == inside.Pid.ToString())["netns"]);
        Assert.Equal(withSysAdmin ? "setns" : "procfs",
            Assert.Single(metrics.Named("socket_exporter_netns_read"), s => s["netns"] == netns)["method"]);
        Assert.Equal("netlink", Assert.Single(metrics.Named("socket_exporter_netns_read"), s => s["netns"] == "host")["method"]);
        // The log says why: once, for every namespace at once.
        const string setnsProblem = "read problem with sock_diag in other network namespaces (they are read from /proc/PID/net): setns: EPERM";
        if (!withSysAdmin)
        {
            Assert.True(exporter.WaitForStderr(setnsProblem, TimeSpan.FromSeconds(10)), exporter.Stderr);
            // And the landing page, for whoever opens it rather than the log.
            Assert.Contains("<li>sock_diag in other network namespaces (they are read from /proc/PID/net): setns: EPERM", exporter.Scrape("/"));
        }
        else   // (other namespaces on the host are not this test's to judge)
            Assert.DoesNotContain($"read problem with netns {netns}", exporter.Stderr);
        if (!withSysAdmin)   // /proc/net has no backlog: the limit is absent, never a false 0
            Assert.DoesNotContain(metrics.Named("socket_listen_queue_limit"), s => s["netns"] == netns && s["port"] == port);
        else                 // a LISTEN-only sock_diag dump inside the namespace gives it (the holder listens with backlog 16)
            Assert.Equal(16, Assert.Single(metrics.Named("socket_listen_queue_limit"), s => s["netns"] == netns && s["port"] == port).Value);

        // The exporter's own threads are all still in its namespace after the scrape.
        string? own = new FileInfo($"/proc/{exporter.Pid}/ns/net").LinkTarget;
        Assert.StartsWith("net:[", own);
        Assert.Equal(own, new FileInfo("/proc/self/ns/net").LinkTarget);   // the test's (host) namespace
        string[] tasks = Directory.GetDirectories($"/proc/{exporter.Pid}/task");
        Assert.True(tasks.Length > 3);
        int checkedTasks = 0;
        foreach (string task in tasks)
        {
            string? ns;
            try { ns = new FileInfo(Path.Combine(task, "ns/net")).LinkTarget; }
            catch (IOException) { continue; }   // a thread that ended since the listing (the runtime retires idle ones)
            if (ns is null && !Directory.Exists(task)) continue;
            Assert.Equal(own, ns);
            checkedTasks++;
        }
        Assert.True(checkedTasks > 3, $"only {checkedTasks} threads checked");
    }

    [Fact]
    public void ListenOverflows_OfAFreshNamespace_MatchNstatInsideIt()
    {
        using HolderProcess inside = HolderProcess.StartWith(["ip", "netns", "exec", _name], "overflow");
        using ExporterProcess exporter = ExporterProcess.Start();
        string netns = InodeOf($"/run/netns/{_name}");

        // The clients keep retrying their SYNs, so the counters grow: nstat inside the namespace just before and just
        // after the scrape brackets what the scrape must read.
        long Nstat(string counter)
        {
            string line = ToolRunner.Run("ip", "netns", "exec", _name, "nstat", "-asz", counter).Split('\n')
                .Single(l => l.StartsWith(counter + " ", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        (long overflowsBefore, long dropsBefore) = (Nstat("TcpExtListenOverflows"), Nstat("TcpExtListenDrops"));
        MetricSet metrics = exporter.ScrapeMetrics();
        (long overflowsAfter, long dropsAfter) = (Nstat("TcpExtListenOverflows"), Nstat("TcpExtListenDrops"));

        Assert.True(overflowsBefore >= 1, "the holder's accept queue never overflowed");
        Assert.InRange(Assert.Single(metrics.Named("socket_listen_overflows_total"), s => s["netns"] == netns).Value, overflowsBefore, overflowsAfter);
        Assert.InRange(Assert.Single(metrics.Named("socket_listen_drops_total"), s => s["netns"] == netns).Value, dropsBefore, dropsAfter);
        // And the queue itself: one connection waits, the backlog is 1.
        Sample queue = Assert.Single(metrics.Named("socket_listen_queue_length"), s => s["netns"] == netns && s["port"] == inside.Int("port").ToString());
        Assert.True(queue.Value >= 1, $"accept queue {queue.Value}");
        Assert.Contains(metrics.Named("socket_listen_overflows_total"), s => s["netns"] == "host");
    }

    [Fact]
    public void BusyNamespace_IsDumpedWithSockDiagFromTheNextScrape_AndCountsTheSame()
    {
        // 1,100 connections: 2,201 TCP sockets, over the threshold at which a namespace is dumped whole.
        const int connections = 1100;
        Assert.True(2 * connections + 1 >= SocketExporter.Linux.Reading.NetNsSocketReader.BusyNamespaceSockets);
        using HolderProcess inside = HolderProcess.StartWith(["ip", "netns", "exec", _name], "busy_ns", connections.ToString());
        using ExporterProcess exporter = ExporterProcess.Start();
        string netns = InodeOf($"/run/netns/{_name}");
        string pid = inside.Pid.ToString(), port = inside.Int("port").ToString();
        int ssEstablished = ToolRunner.Run("ip", "netns", "exec", _name, "ss", "-tnH", "state", "established").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.Equal(2 * connections, ssEstablished);

        // First scrape: the namespace was not known to be busy, so its text was read; from the next one, sock_diag.
        foreach (string expectedSource in new[] { "procfs", "netlink" })
        {
            MetricSet metrics = exporter.ScrapeMetrics();
            Assert.Equal(expectedSource, Assert.Single(metrics.Named("socket_exporter_socket_source"),
                s => s["netns"] == netns && s["protocol"] == "tcp" && s["family"] == "ipv4")["source"]);
            Assert.Equal("setns", Assert.Single(metrics.Named("socket_exporter_netns_read"), s => s["netns"] == netns)["method"]);
            var established = metrics.Named("socket_connections")
                .Where(s => s["netns"] == netns && s["pid"] == pid && s["state"] == "established" && s["port"] == port)
                .ToDictionary(s => s["direction"], s => s.Value);
            Assert.Equal(connections, established["inbound"]);
            Assert.Equal(connections, established["outbound"]);
            Assert.Equal(1, Assert.Single(metrics.Named("socket_listening"), s => s["netns"] == netns && s["port"] == port).Value);
        }
    }

    private static string InodeOf(string path) =>
        ToolRunner.Run("stat", "-L", "-c", "%i", path).Trim();

    public void Dispose() => ToolRunner.Run("ip", "netns", "delete", _name);
}
