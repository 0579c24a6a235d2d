namespace SocketExporter.Linux.Snapshot;

/// <summary>A filesystem, named by its device number (st_dev), as `fuser -m` matches it.</summary>
public readonly record struct FilesystemId(uint Major, uint Minor);

/// <summary>A path whose filesystem is watched for holders (--watch.path), and the filesystem it is on.</summary>
public sealed record WatchedPath(string Path, FilesystemId Filesystem);

/// <summary>How a process keeps a filesystem busy, as `fuser -v` marks it (f, c, r, e, m).</summary>
public enum PathAccess
{
    Fd,
    Cwd,
    Root,
    Exe,
    Mmap,
}

/// <summary>Process <see cref="ProcessIndex"/> uses watched path <see cref="WatchIndex"/>'s filesystem <see cref="Count"/> times this way.</summary>
public readonly record struct PathHold(int ProcessIndex, int WatchIndex, PathAccess Access, int Count);
