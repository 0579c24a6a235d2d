namespace SocketExporter.Linux.Snapshot;

/// <summary>A namespace's accept-queue drop counters (TcpExt ListenOverflows and ListenDrops), since it was created.</summary>
public readonly record struct ListenDropCounters(ulong Overflows, ulong Drops);
