using SocketExporter.Linux.Interop;

namespace SocketExporter.Linux.ProcFs;

/// <summary>
/// Reads small procfs files into a reused, growing buffer. procfs reports size 0 for its files, so the size is
/// never trusted: read until EOF. Returns errno (0 on success); ENOENT/ESRCH mean the process is gone.
/// </summary>
public sealed class ProcFileReader
{
    private byte[] _buffer = new byte[16 * 1024];

    public int TryRead(SafeFd? directory, ReadOnlySpan<byte> relativePathZ, out ReadOnlySpan<byte> content)
    {
        content = default;
        int errno = Libc.OpenAt(directory, relativePathZ, Constants.O_RDONLY, out SafeFd fd);
        if (errno != 0)
            return errno;
        using (fd)
        {
            int total = 0;
            while (true)
            {
                if (total == _buffer.Length)
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                errno = Libc.Read(fd, _buffer.AsSpan(total), out int n);
                if (errno != 0)
                    return errno;
                if (n == 0)
                    break;
                total += n;
            }
            content = _buffer.AsSpan(0, total);
            return 0;
        }
    }

    /// <summary>Reads an absolute or relative path given as a string (for rare, non-hot-path files).</summary>
    public int TryRead(SafeFd? directory, string path, out ReadOnlySpan<byte> content) =>
        TryRead(directory, PathBytes.ToNulTerminated(path), out content);
}
