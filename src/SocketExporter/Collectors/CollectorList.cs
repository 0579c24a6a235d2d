namespace SocketExporter.Collectors;

/// <summary>Every collector, in one explicit list (no reflection): the source of --collector.NAME flags.</summary>
public static class CollectorList
{
    /// <summary>Collectors a --collector.NAME flag must turn on. tcp_traffic: tcp_info in every TCP dump (README, "Live and closed").</summary>
    public static IReadOnlySet<string> OffByDefault { get; } = new HashSet<string> { "tcp_traffic" };

    public static IReadOnlyList<ISnapshotCollector> All(DeviceFilter devices, Events.ConnectionEventOptions? events = null,
        ListenerPolicy? expectedListeners = null, Sampling.ListenerSamplingOptions? sampling = null)
    {
        // One event listener for both: the closed counters and the live + closed traffic share each destroy event.
        var source = new Events.ConnectionEventSource(events ?? Events.ConnectionEventOptions.Default);
        return All(devices, source, expectedListeners, sampling);
    }

    private static IReadOnlyList<ISnapshotCollector> All(DeviceFilter devices, Events.ConnectionEventSource source,
        ListenerPolicy? expectedListeners, Sampling.ListenerSamplingOptions? sampling) =>
    [
        new ListeningCollector(),
        new UnexpectedListenersCollector(expectedListeners ?? ListenerPolicy.None),
        new ListenQueueCollector(),
        new Sampling.ListenerSamplingCollector(sampling ?? Sampling.ListenerSamplingOptions.Default),
        new ConnectionsCollector(),
        new UnixConnectionsCollector(),
        new ProcessInfoCollector(),
        new FdsCollector(),
        new DevicesCollector(devices),
        new PathHoldersCollector(),
        new RawSocketsCollector(),
        new Events.ConnectionEventsCollector(source),
        new Events.TcpTrafficCollector(source),
    ];
}
