namespace SocketExporter.Events;

/// <param name="ProcfsPath">Where /proc/PID/ns/net of processes in other namespaces are found.</param>
/// <param name="OtherNamespaces">Subscribe in other network namespaces too (setns; --netns.method=setns and --netns.all).</param>
/// <param name="Disabled">Why no subscription is made at all (--socket.source=procfs), or null.</param>
/// <param name="MaxLabelSets">Label sets the counters keep before counting under "overflow" (--metrics.max-event-label-sets).</param>
public sealed record ConnectionEventOptions(string ProcfsPath, bool OtherNamespaces, string? Disabled = null,
    int MaxLabelSets = ConnectionEventCounters.DefaultMaxLabelSets)
{
    public static ConnectionEventOptions Default { get; } = new("/proc", OtherNamespaces: true);
}
