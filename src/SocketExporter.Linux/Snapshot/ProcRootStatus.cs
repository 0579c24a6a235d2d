using System.Globalization;
using SocketExporter.Linux.Interop;

namespace SocketExporter.Linux.Snapshot;

public enum ProcRootKind
{
    /// <summary>A proc filesystem (statfs f_type PROC_SUPER_MAGIC) with process directories: the normal case.</summary>
    Proc,
    /// <summary>Not a proc filesystem, but it has numeric process directories: a copy of one (test fixtures, a
    /// captured tree). Read as given, and said so: a host's live /proc is never this.</summary>
    Copy,
    /// <summary>No process directory at all (an empty directory, /dev, a wrong mount): nothing about processes can be
    /// read, and it must not look like a host without processes.</summary>
    NoProcesses,
}

/// <summary>What --path.procfs turned out to be: its filesystem type and how many process directories it lists.</summary>
public readonly record struct ProcRootStatus(ProcRootKind Kind, long FilesystemType, int ProcessCount)
{
    /// <summary>Pure: what a proc root is, from its statfs f_type and the number of numeric directories in it.</summary>
    public static ProcRootStatus Judge(long filesystemType, int processCount) => new(
        processCount == 0 ? ProcRootKind.NoProcesses : filesystemType == Constants.PROC_SUPER_MAGIC ? ProcRootKind.Proc : ProcRootKind.Copy,
        filesystemType, processCount);

    /// <summary>Why the root is not a proc filesystem with processes (for logs and errors); null when it is one.</summary>
    public string? Problem(string path) => Kind switch
    {
        ProcRootKind.Proc => null,
        ProcRootKind.Copy => $"{path} is not a proc filesystem (statfs f_type {FsType}): read as a copy of one",
        _ => FilesystemType == Constants.PROC_SUPER_MAGIC
            ? $"{path}: a proc filesystem that shows no process"
            : $"{path} is not a proc filesystem (statfs f_type {FsType}) and has no process directories; point --path.procfs at the host's /proc",
    };

    private string FsType => "0x" + FilesystemType.ToString("x", CultureInfo.InvariantCulture);
}
