using SocketExporter.Linux.Interop;

namespace SocketExporter.Linux.ProcFs;

/// <summary>
/// Reads procfs files into a reused, growing buffer through <see cref="RegularFile"/>: only regular files (procfs files
/// are S_IFREG of size 0), opened without blocking and read up to a cap per kind of file, so one crafted or broken
/// file under --path.procfs — a FIFO, a link to /dev/zero — is one failed read, never a hung or exhausted scrape.
/// Returns errno (0 on success): ENOENT/ESRCH mean the process is gone; <see cref="Errno.EFBIG"/> and
/// <see cref="Errno.NotRegularFile"/> are failures the caller counts like any other.
/// </summary>
public sealed class ProcFileReader
{
    /// <summary>stat, status, limits, cgroup, netstat, passwd: a few kilobytes at most on any real system.</summary>
    public const int SmallFileLimit = 1024 * 1024;

    /// <summary>/proc/[pid]/maps and /proc/[pid]/net/{tcp,tcp6,udp,udp6,unix}: about 150 bytes a line, so this holds
    /// well over a million sockets or mappings.</summary>
    public const int TableLimit = 256 * 1024 * 1024;

    private byte[] _buffer = new byte[16 * 1024];

    public int TryRead(SafeFd? directory, ReadOnlySpan<byte> relativePathZ, out ReadOnlySpan<byte> content,
        int maxBytes = SmallFileLimit)
    {
        int errno = RegularFile.TryRead(directory, relativePathZ, maxBytes, ref _buffer, out int length, out _);
        if (errno == Errno.EFBIG && _buffer.Length > SmallFileLimit)
            _buffer = new byte[16 * 1024];   // what a refused file grew it to is not kept for the rest of the run
        content = errno == 0 ? _buffer.AsSpan(0, length) : default;
        return errno;
    }

    /// <summary>Reads an absolute or relative path given as a string (for rare, non-hot-path files).</summary>
    public int TryRead(SafeFd? directory, string path, out ReadOnlySpan<byte> content, int maxBytes = SmallFileLimit) =>
        TryRead(directory, PathBytes.ToNulTerminated(path), out content, maxBytes);
}
