namespace SocketExporter.Collectors;

/// <summary>Every collector, in one explicit list (no reflection): the source of --collector.NAME flags.</summary>
public static class CollectorList
{
    public static IReadOnlyList<ISnapshotCollector> All(DeviceFilter devices, Events.ConnectionEventOptions? events = null,
        ListenerPolicy? expectedListeners = null, Sampling.ListenerSamplingOptions? sampling = null) =>
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
        new Events.ConnectionEventsCollector(events ?? Events.ConnectionEventOptions.Default),
    ];
}
