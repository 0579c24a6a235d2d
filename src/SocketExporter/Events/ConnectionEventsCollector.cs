using Prometheus;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Events;

/// <summary>
/// The between-scrapes counters: connections closed, connects failed, and the payload bytes, retransmits and RTT of
/// closed connections, from the kernel's sock_diag destroy events (no eBPF, no privilege for the own namespace).
/// Unlike every other collector it keeps state across scrapes (<see cref="ConnectionEventSource"/>), and its Update
/// does I/O: it drains the events queued before the scrape and opens or closes namespace subscriptions, because the
/// scrape's snapshot is what says which namespaces and connections exist. --no-collector.connection_events turns the
/// listener off (it starts at the first scrape that runs this collector).
/// </summary>
public sealed class ConnectionEventsCollector(ConnectionEventSource source) : ISnapshotCollector
{
    public ConnectionEventsCollector(ConnectionEventOptions options) : this(new ConnectionEventSource(options)) { }

    public string Name => "connection_events";
    public SnapshotParts Reads => SnapshotParts.Sockets | SnapshotParts.Processes;

    // Draining the queued events and rebuilding the attribution of every connection (100,000 on a busy node: ~40 ms)
    // is work no other collector waits for.
    public bool PreparesBeside => true;

    public void Prepare(ScrapeSnapshot snapshot) => source.Observe(snapshot);

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        source.Observe(snapshot);
        Write(source, metrics, snapshot);
    }

    /// <summary>Writes what <paramref name="source"/> counted so far (separate from Update for tests).</summary>
    public static void Write(ConnectionEventSource source, MetricWriter metrics, ScrapeSnapshot? snapshot = null)
    {
        string[] closedLabels = ["protocol", "direction", "port", "program", "netns"];
        string[] tcpLabels = ["direction", "port", "program", "netns"];
        Counter closed = metrics.Counter("socket_connections_closed_total",
            "TCP connections that were established and are gone, counted from the kernel's destroy events as they happen " +
            "(also between scrapes). direction and port as in socket_connections; program: the process that held the " +
            "connection at a scrape, else (inbound) the listener's on that port, else \"\".", closedLabels);
        Counter failures = metrics.Counter("socket_connect_failures_total",
            "Outbound TCP connects that never became established (refused, timed out, reset during the handshake). port is " +
            "the remote port asked for; \"unknown\" when a blocking connect()'s failure made the kernel erase it.",
            ["protocol", "port", "program", "netns"]);
        Counter received = metrics.Counter("socket_connections_closed_received_bytes_total",
            "Payload bytes received over TCP connections that closed, counted at close (not while the connection lives).", tcpLabels);
        Counter sent = metrics.Counter("socket_connections_closed_sent_bytes_total",
            "Payload bytes sent over TCP connections that closed, counted at close; retransmitted bytes once.", tcpLabels);
        Counter retransmits = metrics.Counter("socket_connections_closed_retransmitted_segments_total",
            "Segments retransmitted by TCP connections that closed (tcp_info total_retrans at close).", tcpLabels);
        Counter rttSum = metrics.Counter("socket_connections_closed_rtt_seconds_total",
            "Sum of the smoothed RTT at close of TCP connections that closed; divide its rate by " +
            "socket_connections_closed_rtt_samples_total's for the mean.", tcpLabels);
        Counter rttCount = metrics.Counter("socket_connections_closed_rtt_samples_total",
            "TCP connections that closed with an RTT measured: the count for socket_connections_closed_rtt_seconds_total.", tcpLabels);

        foreach ((ConnectionEventKey key, ConnectionEventTotals t) in source.ExportedTotals(snapshot))
        {
            if (key.Failure)
            {
                failures.WithLabels("tcp", key.Port, key.Program, key.Netns).IncTo(t.ConnectFailures);
                continue;
            }
            if (t.Closed == 0)
                continue;   // only live traffic so far (tcp_traffic's): no connection of this label set closed
            closed.WithLabels("tcp", key.Direction, key.Port, key.Program, key.Netns).IncTo(t.Closed);
            string[] labels = [key.Direction, key.Port, key.Program, key.Netns];
            received.WithLabels(labels).IncTo(t.ReceivedBytes);
            sent.WithLabels(labels).IncTo(t.SentBytes);
            retransmits.WithLabels(labels).IncTo(t.RetransmittedSegments);
            rttSum.WithLabels(labels).IncTo(t.RttSecondsSum);
            rttCount.WithLabels(labels).IncTo(t.RttSamples);
        }

        Counter events = metrics.NamespaceCounter("socket_exporter_connection_events_received_total",
            "Socket destroy events read from the namespace's subscription (since it was opened).");
        Counter overflows = metrics.NamespaceCounter("socket_exporter_connection_events_overflows_total",
            "Times the kernel reported destroy events lost because the subscription's receive buffer was full (ENOBUFS; " +
            "each time one or more events were lost, how many the kernel does not say). Counts are exact while this stays flat.");
        Counter malformed = metrics.NamespaceCounter("socket_exporter_connection_events_malformed_total",
            "Destroy messages that could not be decoded, not counted.");
        Gauge subscribed = metrics.NamespaceGauge("socket_exporter_connection_events_subscribed",
            "1 for a network namespace whose destroy events are read; 0 with the reason it is not (setns_denied: no " +
            "CAP_SYS_ADMIN; setns_disabled: --netns.method=procfs; process_gone: its process exited before the subscription was made; " +
            "no_process: none is in it; failed).", "reason");
        Gauge buffer = metrics.NamespaceGauge("socket_exporter_connection_events_receive_buffer_bytes",
            "The receive buffer the kernel granted the subscription (SO_RCVBUFFORCE needs CAP_NET_ADMIN; else net.core.rmem_max caps it).");
        foreach (SubscriptionState s in source.States())
        {
            if (s.Stats is { } stats)
            {
                subscribed.WithLabels(s.Netns, "").Set(1);
                events.WithLabels(s.Netns).IncTo(stats.Events);
                overflows.WithLabels(s.Netns).IncTo(stats.Overflows);
                malformed.WithLabels(s.Netns).IncTo(stats.Malformed);
                buffer.WithLabels(s.Netns).Set(stats.ReceiveBufferBytes);
            }
            else
                subscribed.WithLabels(s.Netns, s.Reason).Set(0);
        }
        metrics.Counter("socket_exporter_connection_events_overflowed_label_sets_total",
            "Events counted under port=\"overflow\", program=\"overflow\" because the counters held their maximum of label sets.", [])
            .IncTo(source.Counters.OverflowedEvents);
    }
}
