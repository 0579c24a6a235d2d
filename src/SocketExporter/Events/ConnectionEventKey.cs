namespace SocketExporter.Events;

/// <summary>
/// The label set a destroy event is counted under: bounded values only (no pid, no remote address, no ephemeral port).
/// <see cref="Failure"/> keys count connect failures, which have no direction (a failed connect is always outbound).
/// </summary>
public readonly record struct ConnectionEventKey(string Netns, bool Inbound, string Port, string Program, bool Failure = false)
{
    public string Direction => Inbound ? Collectors.Labels.Inbound : Collectors.Labels.Outbound;
}
