namespace SocketExporter.Linux.Snapshot;

/// <summary>One socket descriptor seen in a walk: process <paramref name="ProcessIndex"/> holds socket <paramref name="Inode"/>.
/// A walker thread records these in its own list; they join the one <see cref="SocketOwnerIndex"/> when the walk ends.</summary>
public readonly record struct SocketHold(ulong Inode, int ProcessIndex);
