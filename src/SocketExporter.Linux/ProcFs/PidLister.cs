using System.Buffers.Text;
using SocketExporter.Linux.Interop;

namespace SocketExporter.Linux.ProcFs;

/// <summary>Lists the thread-group ids under a proc root. /proc lists only tgids; threads share the fd table.</summary>
public sealed class PidLister
{
    private readonly byte[] _buffer = new byte[32 * 1024];

    /// <summary>Fills <paramref name="pids"/>; returns errno of getdents64 (0 on success).</summary>
    public int List(SafeFd procRoot, List<int> pids)
    {
        while (true)
        {
            int errno = Libc.GetDents64(procRoot, _buffer, out int length);
            if (errno != 0)
                return errno;
            if (length == 0)
                return 0;
            var entries = new DirectoryEntries(_buffer.AsSpan(0, length));
            while (entries.MoveNext())
            {
                ReadOnlySpan<byte> name = entries.Name;
                if (name[0] is >= (byte)'1' and <= (byte)'9' && Utf8Parser.TryParse(name, out int pid, out int used) && used == name.Length)
                    pids.Add(pid);
            }
        }
    }
}
