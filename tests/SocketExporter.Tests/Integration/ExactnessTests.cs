using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// The exporter against iproute2's ss at the same moment: ss runs just before and just after the scrape, so a
/// socket stable across both must be in the scrape, and the scrape may hold nothing that ss showed in neither.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ExactnessTests(ExporterFixture fixture) : IClassFixture<ExporterFixture>
{
    private readonly ExporterProcess _exporter = fixture.Exporter;

    private static readonly Dictionary<string, string> SsStates = new()
    {
        ["ESTAB"] = "established", ["SYN-SENT"] = "syn_sent", ["SYN-RECV"] = "syn_recv", ["FIN-WAIT-1"] = "fin_wait1",
        ["FIN-WAIT-2"] = "fin_wait2", ["TIME-WAIT"] = "time_wait", ["UNCONN"] = "close", ["CLOSE-WAIT"] = "close_wait",
        ["LAST-ACK"] = "last_ack", ["CLOSING"] = "closing",
    };

    // The host namespace's ephemeral range (this test runs in it): an unconnected UDP socket on a port in it was bound
    // by the kernel at a sendto() and is no service (README, "From netstat to metrics").
    private static readonly (int First, int Last) EphemeralRange = ReadEphemeralRange();

    private static (int, int) ReadEphemeralRange()
    {
        string[] f = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return (int.Parse(f[0]), int.Parse(f[1]));
    }

    private static bool IsEphemeral(int port) => port >= EphemeralRange.First && port <= EphemeralRange.Last;

    private static bool IsService(SsSocket s) =>
        s.State == "LISTEN" || (s.Protocol == "udp" && s.State == "UNCONN" && (s.LocalPort < 1024 || !IsEphemeral(s.LocalPort)));

    private static HashSet<(string, string, int, string, string)> SsListeners(List<SsSocket> ss)
    {
        var set = new HashSet<(string, string, int, string, string)>();
        foreach (SsSocket s in ss.Where(IsService))
        {
            if (s.Users.Count == 0)
                set.Add((s.Protocol, s.LocalAddress, s.LocalPort, "", ""));
            foreach ((string program, int pid) in s.Users)
                set.Add((s.Protocol, s.LocalAddress, s.LocalPort, pid.ToString(), program));
        }
        return set;
    }

    [Fact]
    public void Listeners_WholeHost_MatchSsTakenAroundTheScrape()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        int parent = holder.Int("pid"), child = holder.Int("child_pid");

        // Other processes share the host: a listener that lives only between the two ss runs is a race, not a
        // mismatch. Compare up to three times; a real mismatch persists.
        MetricSet metrics = null!;
        HashSet<(string, string, int, string, string)> ours = [];
        string mismatch = "";
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var before = SsListeners(Ss.TcpUdpWithProcesses());
            metrics = _exporter.ScrapeMetrics();
            var after = SsListeners(Ss.TcpUdpWithProcesses());

            // ss runs in the host's network namespace: compare with that namespace's series.
            ours = metrics.Named("socket_listening").Where(s => s["netns"] == "host" && s["protocol"] != "unix")
                .Select(s => (s["protocol"], s["address"], int.Parse(s["port"]), s["pid"], s["program"])).ToHashSet();
            var stable = before.Intersect(after).ToHashSet();
            var seen = before.Union(after).ToHashSet();
            Assert.True(stable.Count >= 10, $"only {stable.Count} stable listeners: the comparison would prove little");
            var missing = stable.Except(ours).ToList();   // ss showed it twice, the scrape lacks it
            var extra = ours.Except(seen).ToList();       // the scrape has it, ss never showed it
            if (missing.Count == 0 && extra.Count == 0)
            {
                mismatch = "";
                break;
            }
            mismatch = $"missing: {string.Join(", ", missing)}; extra: {string.Join(", ", extra)}";
        }
        Assert.True(mismatch.Length == 0, mismatch);

        // The test's own listeners, attributed to both holders of each.
        foreach (int pid in new[] { parent, child })
        {
            Assert.Contains(("tcp", "127.0.0.1", holder.Int("shared_port"), pid.ToString(), "python3"), ours);
            Assert.Contains(("tcp", "::1", holder.Int("v6only_port"), pid.ToString(), "python3"), ours);
            Assert.Contains(("udp", "127.0.0.1", holder.Int("udp_port"), pid.ToString(), "python3"), ours);
            Sample reuse = Assert.Single(metrics.Named("socket_listening"),
                s => s["port"] == holder.Int("reuseport_port").ToString() && s["pid"] == pid.ToString());
            Assert.Equal(2, reuse.Value);      // two SO_REUSEPORT sockets on one port
            Assert.Equal("ipv4", reuse["family"]);
        }
        Assert.Equal("ipv6", Assert.Single(metrics.Named("socket_listening"),
            s => s["port"] == holder.Int("v6only_port").ToString() && s["pid"] == parent.ToString())["family"]);
    }

    [Fact]
    public void ListenQueue_Backlog5WithThreeUnaccepted_ReadsThreeOfFive()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        MetricSet metrics = _exporter.ScrapeMetrics();

        Sample Queue(string name, string port) =>
            Assert.Single(metrics.Named(name), s => s["port"] == port && s["protocol"] == "tcp");
        string backlogPort = holder.Int("backlog_port").ToString(), reusePort = holder.Int("reuseport_port").ToString();
        Assert.Equal(3, Queue("socket_listen_queue_length", backlogPort).Value);
        Assert.Equal(5, Queue("socket_listen_queue_limit", backlogPort).Value);
        Assert.Equal("python3", Queue("socket_listen_queue_limit", backlogPort)["program"]);
        // SO_REUSEPORT sockets with backlogs 7 and 9 are summed, and counted once although two processes hold them.
        Assert.Equal(16, Queue("socket_listen_queue_limit", reusePort).Value);
        Assert.Equal(0, Queue("socket_listen_queue_length", reusePort).Value);
    }

    [Fact]
    public void Connections_PerStatePortDirectionPid_MatchSs()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        var pids = new HashSet<int> { holder.Int("pid"), holder.Int("child_pid") };

        List<SsSocket> before = Ss.TcpUdpWithProcesses();
        MetricSet metrics = _exporter.ScrapeMetrics();
        List<SsSocket> after = Ss.TcpUdpWithProcesses();

        var expectedBefore = ExpectedConnections(before, pids);
        Assert.Equal(expectedBefore, ExpectedConnections(after, pids));   // the test's sockets held still
        var ours = metrics.Named("socket_connections").Where(s => s["pid"] != "" && pids.Contains(int.Parse(s["pid"])))
            .ToDictionary(s => (s["protocol"], s["state"], s["direction"], s["port"], int.Parse(s["pid"])), s => (int)s.Value);

        Assert.Equal(2 * 11, expectedBefore.Values.Sum());   // 11 connected sockets, each held by parent and child
        Assert.Equal(expectedBefore.OrderBy(k => k.Key).ToList(), ours.OrderBy(k => k.Key).ToList());

        int parent = holder.Int("pid");
        Assert.Equal(1, ours[("tcp", "close_wait", "inbound", holder.Int("close_wait_port").ToString(), parent)]);
        Assert.Equal(3, ours[("tcp", "established", "outbound", holder.Int("backlog_port").ToString(), parent)]);
        Assert.Equal(1000, Assert.Single(metrics.Named("socket_queued_bytes"), s => s["pid"] == parent.ToString()
            && s["queue"] == "receive" && s["direction"] == "inbound" && s["port"] == holder.Int("queued_port").ToString()).Value);

        // No descriptor refers to the server side of an unaccepted connection or to an orphaned FIN_WAIT2
        // socket: they are exported without pid or program.
        Assert.Equal(3, Assert.Single(metrics.Named("socket_connections"), s => s["pid"] == "" && s["state"] == "established"
            && s["direction"] == "inbound" && s["port"] == holder.Int("backlog_port").ToString()).Value);
        Assert.Contains(metrics.Named("socket_connections"), s => s["pid"] == "" && s["program"] == "" && s["state"] == "fin_wait2"
            && s["port"] == holder.Int("close_wait_port").ToString());
    }

    /// <summary>ss lines of the given pids, classified the way the README documents: inbound on the local port when it has a
    /// service, outbound on the remote port when that has one here, else by the ephemeral range.</summary>
    private static Dictionary<(string, string, string, string, int), int> ExpectedConnections(List<SsSocket> ss, HashSet<int> pids)
    {
        var services = ss.Where(IsService).Select(s => (s.Protocol, s.LocalPort)).ToHashSet();
        var counts = new Dictionary<(string, string, string, string, int), int>();
        foreach (SsSocket s in ss.Where(s => !IsService(s)))
        {
            (string direction, string port) =
                s.State == "UNCONN" ? ("outbound", "")
                : services.Contains((s.Protocol, s.LocalPort)) ? ("inbound", s.LocalPort.ToString())
                : services.Contains((s.Protocol, s.PeerPort)) ? ("outbound", s.PeerPort.ToString())
                : !IsEphemeral(s.LocalPort) ? ("inbound", s.LocalPort.ToString())
                : !IsEphemeral(s.PeerPort) ? ("outbound", s.PeerPort.ToString())
                : ("outbound", "ephemeral");
            foreach ((_, int pid) in s.Users.Where(u => pids.Contains(u.Pid)).Distinct())
            {
                var key = (s.Protocol, SsStates[s.State], direction, port, pid);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }
        return counts;
    }
}
