using System.Buffers.Text;
using System.Text;

namespace SocketExporter.Linux.Interop;

/// <summary>Builds NUL-terminated UTF-8 paths for the *at() calls without allocating on hot paths.</summary>
public static class PathBytes
{
    public static byte[] ToNulTerminated(string path)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    /// <summary>Writes "{pid}{suffix}\0" (suffix like "/fd" or "/stat") into destination; returns the length with the NUL.</summary>
    public static int WritePidPath(Span<byte> destination, int pid, ReadOnlySpan<byte> suffix)
    {
        Utf8Formatter.TryFormat(pid, destination, out int written);
        suffix.CopyTo(destination[written..]);
        written += suffix.Length;
        destination[written] = 0;
        return written + 1;
    }
}
