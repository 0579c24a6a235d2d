namespace SocketExporter.Collectors;

/// <summary>Every collector, in one explicit list (no reflection): the source of --collector.NAME flags.</summary>
public static class CollectorList
{
    public static IReadOnlyList<ISnapshotCollector> All() =>
    [
        new ListeningCollector(),
        new ListenQueueCollector(),
        new ConnectionsCollector(),
        new ProcessInfoCollector(),
        new FdsCollector(),
    ];
}
