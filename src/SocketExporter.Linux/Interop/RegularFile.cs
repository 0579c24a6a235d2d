namespace SocketExporter.Linux.Interop;

/// <summary>
/// The one way this exporter reads a whole file — /proc files, --config.file, the web config and the certificate, key
/// and CA files it names: only a regular file, never blocking, never more than a cap. A FIFO put where a file was
/// expected would block open(2) for good (no writer) and a device like /dev/zero never reaches EOF; both once hung or
/// exhausted the exporter (issue 17). So the file is opened with O_NONBLOCK (a FIFO then opens at once; a socket
/// fails with ENXIO), its type is checked on the opened descriptor (no race with a path swapped in between), and at
/// most <c>maxBytes + 1</c> bytes are read: procfs files report size 0, so the size alone bounds nothing.
/// Returns errno (0 on success), <see cref="Errno.EFBIG"/> past the cap, <see cref="Errno.NotRegularFile"/> for a
/// FIFO, device, socket or directory.
/// </summary>
public static class RegularFile
{
    /// <summary>Reads into <paramref name="buffer"/>, growing it (doubling, up to maxBytes + 1) as needed.</summary>
    /// <param name="directory">Base of a relative path; null for an absolute one (or relative to the working directory).</param>
    /// <param name="pathZ">NUL-terminated path.</param>
    /// <param name="version">The opened file's version (see <see cref="FileVersion"/>) as read before its contents.</param>
    public static int TryRead(SafeFd? directory, ReadOnlySpan<byte> pathZ, int maxBytes, ref byte[] buffer, out int length,
        out FileVersion version)
    {
        length = 0;
        version = default;
        int errno = Libc.OpenAt(directory, pathZ, Constants.O_RDONLY | Constants.O_NONBLOCK | Constants.O_NOCTTY, out SafeFd fd);
        if (errno != 0)
            return errno;
        using (fd)
        {
            const uint mask = Constants.STATX_TYPE | Constants.STATX_INO | Constants.STATX_SIZE | Constants.STATX_CTIME | Constants.STATX_MTIME;
            errno = Libc.Statx(fd, "\0"u8, Constants.AT_EMPTY_PATH | Constants.AT_STATX_DONT_SYNC, mask, out StatxBuffer stx);
            if (errno != 0)
                return errno;
            if ((stx.Mode & Constants.S_IFMT) != Constants.S_IFREG)
                return Errno.NotRegularFile;
            if (stx.Size > (ulong)maxBytes)
                return Errno.EFBIG;   // a real file that says it is too large is not read at all
            version = FileVersion.From(stx);

            int total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (total > maxBytes)
                        return Errno.EFBIG;
                    Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, (long)maxBytes + 1));
                }
                errno = Libc.Read(fd, buffer.AsSpan(total), out int n);
                if (errno != 0)
                    return errno;
                if (n == 0)
                    break;
                total += n;
            }
            if (total > maxBytes)
                return Errno.EFBIG;
            length = total;
            return 0;
        }
    }

    /// <summary>Reads a whole UTF-8 text file (a leading byte order mark dropped), for configuration files.</summary>
    public static int TryReadText(string path, int maxBytes, out string text, out FileVersion version)
    {
        int errno = TryReadAll(path, maxBytes, out byte[] content, out version);
        ReadOnlySpan<byte> bytes = content;
        text = System.Text.Encoding.UTF8.GetString(bytes.StartsWith("\uFEFF"u8) ? bytes[3..] : bytes);
        return errno;
    }

    /// <summary>Reads a whole file named by a string path (configuration files, not hot paths).</summary>
    public static int TryReadAll(string path, int maxBytes, out byte[] content, out FileVersion version)
    {
        byte[] buffer = new byte[Math.Min(maxBytes + 1, 16 * 1024)];
        int errno = TryRead(null, PathBytes.ToNulTerminated(path), maxBytes, ref buffer, out int length, out version);
        content = errno == 0 ? buffer.AsSpan(0, length).ToArray() : [];
        return errno;
    }
}
