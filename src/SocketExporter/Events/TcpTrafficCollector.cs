using Prometheus;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Events;

/// <summary>
/// Payload bytes and retransmitted segments of live and closed TCP connections together, and the RTT of established
/// ones (README, "Live and closed"). Off by default (--collector.tcp_traffic): it makes every TCP dump carry tcp_info,
/// which costs the kernel ~280 more bytes per socket to copy out, and dumps the namespaces otherwise read as cheap text.
/// It shares <see cref="ConnectionEventSource"/> with connection_events: the destroy events close each connection's account.
/// </summary>
public sealed class TcpTrafficCollector(ConnectionEventSource source) : ISnapshotCollector
{
    public string Name => "tcp_traffic";
    public SnapshotParts Reads => SnapshotParts.Sockets | SnapshotParts.Processes | SnapshotParts.TcpInfo;

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        source.Observe(snapshot);
        Write(source, snapshot, metrics);
    }

    /// <summary>Writes what <paramref name="source"/> counted so far and the RTT and gaps of <paramref name="snapshot"/>.</summary>
    public static void Write(ConnectionEventSource source, ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        string[] labels = ["direction", "port", "program", "netns"];
        Counter received = metrics.Counter("socket_tcp_received_bytes_total",
            "Payload bytes received over TCP connections, live and closed together: what each moved since the exporter " +
            "began watching it (read from tcp_info at every scrape, finished by the connection's destroy event).", labels);
        Counter sent = metrics.Counter("socket_tcp_sent_bytes_total",
            "Payload bytes sent over TCP connections, live and closed together; retransmitted bytes once.", labels);
        Counter retransmits = metrics.Counter("socket_tcp_retransmitted_segments_total",
            "Segments retransmitted by TCP connections, live and closed together (tcp_info total_retrans).", labels);
        Counter segments = metrics.Counter("socket_tcp_sent_segments_total",
            "Data segments sent by TCP connections, retransmissions included (tcp_info data_segs_out), live and closed " +
            "together: the denominator of the retransmit ratio.", labels);
        foreach ((ConnectionEventKey key, ConnectionEventTotals t) in source.ExportedTotals(snapshot))
        {
            if (key.Failure)
                continue;
            string[] values = [key.Direction, key.Port, key.Program, key.Netns];
            received.WithLabels(values).IncTo(t.TrafficReceivedBytes);
            sent.WithLabels(values).IncTo(t.TrafficSentBytes);
            retransmits.WithLabels(values).IncTo(t.TrafficRetransmits);
            segments.WithLabels(values).IncTo(t.TrafficSegmentsSent);
        }

        BudgetedGauge rttSeconds = metrics.Gauge("socket_tcp_established_rtt_seconds",
            "Smoothed RTT (tcp_info rtt) summed over the group's established TCP connections at this scrape; divide " +
            "by socket_tcp_established_rtt_connections (after sum by the same labels) for the mean.", labels);
        BudgetedGauge rttConnections = metrics.Gauge("socket_tcp_established_rtt_connections",
            "Established TCP connections with an RTT measured, summed in socket_tcp_established_rtt_seconds.", labels);
        foreach ((ConnectionEventKey key, (double seconds, long connections)) in source.Traffic.Rtt)
        {
            rttSeconds.Add(seconds, key.Direction, key.Port, key.Program, key.Netns);
            rttConnections.Add(connections, key.Direction, key.Port, key.Program, key.Netns);
        }

        metrics.Counter("socket_exporter_tcp_traffic_unfinished_total",
            "TCP connections that left the socket table with no destroy event counted (events lost to a full buffer, or " +
            "closed before their namespace's subscription existed): what they moved since the scrape before is not counted.", [])
            .IncTo(source.Traffic.Unfinished);
        Gauge missing = metrics.NamespaceGauge("socket_exporter_tcp_info_missing_connections",
            "Established TCP connections of a namespace whose tables this scrape read without tcp_info, so the socket_tcp_* " +
            "counters do not include them; reason: procfs (read as /proc/PID/net text: --netns.method=procfs or " +
            "--socket.source=procfs), setns_denied (no CAP_SYS_ADMIN), skipped (scrape deadline), unread, dump_failed.", "reason");
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
            if (!ns.TcpInfoComplete)
                missing.WithLabels(ns.Label, GapReason(ns)).Set(CountEstablished(ns));
    }

    private static string GapReason(NetNsSnapshot ns) => ns.Method switch
    {
        NetNsMethod.Skipped => "skipped",
        NetNsMethod.None => "unread",
        NetNsMethod.ProcFs when ns.SetnsDenied => "setns_denied",
        NetNsMethod.ProcFs => "procfs",
        _ => "dump_failed",
    };

    private static int CountEstablished(NetNsSnapshot ns)
    {
        int n = 0;
        foreach (SocketEntry s in ns.Sockets)
            if (s.Protocol == SocketProtocol.Tcp && s.State == SocketState.Established)
                n++;
        return n;
    }
}
