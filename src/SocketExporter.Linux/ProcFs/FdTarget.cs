using System.Buffers.Text;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

/// <summary>Classifies the target of a /proc/[pid]/fd/N link. Pure: no I/O.</summary>
public static class FdTarget
{
    private static ReadOnlySpan<byte> SocketPrefix => "socket:["u8;
    private static ReadOnlySpan<byte> PipePrefix => "pipe:["u8;
    private static ReadOnlySpan<byte> AnonInodePrefix => "anon_inode:"u8;

    /// <summary>
    /// Returns the kind when the link text alone decides it; <see cref="FdKind.File"/> with
    /// <paramref name="needsStat"/> for paths, whose kind (file, directory, device, FIFO) only statx can tell.
    /// memfd ("/memfd:x (deleted)") and deleted files are paths too, and statx still reaches their inode.
    /// Namespace links ("net:[4026531840]") and other pseudo-files are <see cref="FdKind.Other"/>.
    /// </summary>
    public static FdKind Classify(ReadOnlySpan<byte> target, out ulong socketInode, out bool needsStat)
    {
        socketInode = 0;
        needsStat = false;
        if (target.StartsWith(SocketPrefix))
        {
            ReadOnlySpan<byte> digits = target[SocketPrefix.Length..];
            if (Utf8Parser.TryParse(digits, out socketInode, out int used) && used < digits.Length && digits[used] == (byte)']')
                return FdKind.Socket;
            socketInode = 0;
            return FdKind.Socket;
        }
        if (target.StartsWith(PipePrefix))
            return FdKind.Pipe;
        if (target.StartsWith(AnonInodePrefix))
            return FdKind.AnonInode;
        if (!target.IsEmpty && target[0] == (byte)'/')
        {
            needsStat = true;
            return FdKind.File;
        }
        return FdKind.Other;
    }
}
