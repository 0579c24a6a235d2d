using Prometheus;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Sampling;

/// <summary>
/// socket_listen_queue_peak and socket_listeners_opened_total / _closed_total: what happened to listeners between
/// scrapes, from the sampler's looks at the listening table (<see cref="ListenerSampleSource"/>). Like
/// connection_events it keeps state across scrapes, and its first Update starts the sampler thread.
/// The peak is each scrape's own: taking it resets it, so two Prometheus servers scraping one exporter each see the
/// peak since the previous scrape by either of them (see the README).
/// </summary>
public sealed class ListenerSamplingCollector(ListenerSamplingOptions options) : ISnapshotCollector, IDisposable
{
    private ListenerSampleSource? _source;

    public string Name => "listen_sampling";
    public SnapshotParts Reads => SnapshotParts.Sockets | SnapshotParts.Processes;

    private readonly record struct Row(ListenerKey Listener, string Program);

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        SocketData.ThrowIfUnavailable(snapshot);
        _source ??= new ListenerSampleSource(options);
        IReadOnlyDictionary<ListenerKey, long> peaks = _source.Observe(snapshot);
        WritePeaks(snapshot, peaks, metrics);
        WriteChurn(_source, metrics);
    }

    private static void WritePeaks(ScrapeSnapshot snapshot, IReadOnlyDictionary<ListenerKey, long> peaks, MetricWriter metrics)
    {
        BudgetedGauge peak = metrics.Gauge("socket_listen_queue_peak",
            "Highest accept-queue length of a listening address:port (summed over SO_REUSEPORT sockets) since the previous " +
            "scrape, from the listener sampler (--listen.sample-interval) and this scrape's own reading. Each scrape resets it.",
            ["protocol", "family", "address", "port", "program", "netns"]);
        var addresses = new AddressLabels();
        var holders = new SharedHolders();
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            var rows = new Dictionary<Row, long>();
            foreach (SocketEntry s in ns.Services)
            {
                if (s.Protocol != SocketProtocol.Tcp || s.State != SocketState.Listen)
                    continue;
                var row = new Row(ListenerKey.Of(ns.Inode, s), holders.ProgramLabel(snapshot, s.Inode));
                rows[row] = rows.GetValueOrDefault(row) + s.ReceiveQueue;
            }
            foreach ((Row row, long length) in rows)
            {
                // Sampled per address:port; a listener shared by differently named programs reports it under each.
                long value = Math.Max(length, peaks.GetValueOrDefault(row.Listener));
                ListenerKey k = row.Listener;
                peak.Add(value, "tcp", Labels.Family(k.Family), addresses.Of(ns, k.Address, k.Family, k.Interface),
                    Labels.Port(k.Port), row.Program, ns.Label);
            }
        }
    }

    /// <summary>Writes the churn counters and the sampler's own health (separate from Update for tests).</summary>
    public static void WriteChurn(ListenerSampleSource source, MetricWriter metrics)
    {
        string[] labels = ["protocol", "port", "program", "netns"];
        Counter opened = metrics.Counter("socket_listeners_opened_total",
            "TCP listening sockets that appeared, seen by the listener sampler, or from scrape to scrape in a namespace it " +
            "cannot enter (socket_exporter_listener_sampled 0). program: the holder a scrape saw; \"\" for a listener that lived only between scrapes.", labels);
        Counter closed = metrics.Counter("socket_listeners_closed_total",
            "TCP listening sockets that went away, seen as socket_listeners_opened_total; same labels.", labels);
        foreach ((ListenerChurnKey key, var t) in source.Counters.Totals)
        {
            opened.WithLabels("tcp", key.Port, key.Program, key.Netns).IncTo(t.Opened);
            closed.WithLabels("tcp", key.Port, key.Program, key.Netns).IncTo(t.Closed);
        }
        Gauge sampled = metrics.NamespaceGauge("socket_exporter_listener_sampled",
            "1 for a network namespace whose listening table the listener sampler looks at; 0 with the reason it does not " +
            "(setns_denied: no CAP_SYS_ADMIN; setns_disabled: --netns.method=procfs; process_gone; failed): its listeners " +
            "are then followed from scrape to scrape. Absent while the sampler is off.", "reason");
        foreach ((string netns, string reason) in source.SamplerReasons())
            sampled.WithLabels(netns, reason).Set(reason.Length == 0 ? 1 : 0);
        metrics.Counter("socket_exporter_listener_samples_total",
            "Looks at a namespace's listening table: the sampler's, and the scrapes' of namespaces it has not looked at.", []).IncTo(source.State.Samples);
        metrics.Counter("socket_exporter_listener_sample_failures_total",
            "Sampler looks at a namespace that failed after entering it (sock_diag could not be opened or a dump failed): not " +
            "used, so nothing counts as closed. Namespaces it cannot enter are in socket_exporter_listener_sampled.", [])
            .IncTo(source.Sampler?.Failures ?? 0);
        metrics.Counter("socket_exporter_listener_sampling_seconds_total",
            "Time the sampler spent entering namespaces, dumping and comparing listening tables.", []).IncTo(source.Sampler?.SamplingSeconds ?? 0);
        metrics.Counter("socket_exporter_listener_changes_uncounted_total",
            "Listener openings or closings not counted: too many pending between two scrapes, or their namespace had no label.", [])
            .IncTo(source.Uncounted);
        metrics.Counter("socket_exporter_listener_churn_overflowed_total",
            "Listener openings or closings counted under port=\"overflow\", program=\"overflow\" because the counters held " +
            "their maximum of label sets.", []).IncTo(source.Counters.Overflowed);
    }

    public void Dispose() => _source?.Dispose();
}
