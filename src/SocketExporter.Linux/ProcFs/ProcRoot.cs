using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

/// <summary>Checks --path.procfs once at start, before the exporter listens.</summary>
public static class ProcRoot
{
    /// <summary>Null when <paramref name="path"/> can serve scrapes (a proc filesystem, or a copy with process
    /// directories), else the reason it cannot: missing, unreadable, or without any process directory.</summary>
    public static string? StartupError(string path)
    {
        int errno = Libc.OpenAt(null, PathBytes.ToNulTerminated(path), Constants.O_RDONLY | Constants.O_DIRECTORY, out SafeFd root);
        using (root)
        {
            if (errno != 0)
                return $"--path.procfs={path}: {Errno.Describe(errno)}";
            var pids = new List<int>();
            if ((errno = new PidLister().List(root, pids)) != 0)
                return $"--path.procfs={path}: listing processes: {Errno.Describe(errno)}";
            if ((errno = Libc.FStatFsType(root, out long type)) != 0)
                return $"--path.procfs={path}: statfs: {Errno.Describe(errno)}";
            ProcRootStatus status = ProcRootStatus.Judge(type, pids.Count);
            return status.Kind == ProcRootKind.NoProcesses ? "--path.procfs: " + status.Problem(path) : null;
        }
    }
}
