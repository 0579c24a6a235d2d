using System.Runtime.InteropServices;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Netlink;

public enum DumpProgress
{
    /// <summary>The buffer was consumed and the dump has not ended: read another chunk.</summary>
    NeedMore,
    /// <summary>NLMSG_DONE with a zero status: the dump is complete.</summary>
    Done,
    /// <summary>The kernel reported an error (NLMSG_ERROR, or a negative NLMSG_DONE payload).</summary>
    KernelError,
    /// <summary>The framing is broken; the dump cannot be trusted.</summary>
    Malformed,
}

/// <summary>Outcome of parsing one chunk of a sock_diag dump.</summary>
public readonly record struct DumpChunkResult(DumpProgress Progress, int Errno, int BadMessages, string? Detail);

/// <summary>
/// Turns the bytes of a sock_diag dump into socket entries. Pure: the I/O loop in <see cref="SockDiagClient"/>
/// feeds it each recv() buffer, and tests feed it captured bytes.
/// </summary>
public static class SockDiagDumpParser
{
    /// <param name="sequence">Only messages with this sequence number are ours; null accepts any (fixtures).</param>
    public static DumpChunkResult ParseChunk(ReadOnlySpan<byte> chunk, SocketProtocol protocol, uint? sequence, List<SocketEntry> sink) =>
        ParseChunk<SocketEntry, InetDiagDecoder>(chunk, protocol, sequence, sink);

    /// <summary>The same for any sock_diag family: <typeparamref name="TDecoder"/> decodes one message payload.</summary>
    public static DumpChunkResult ParseChunk<T, TDecoder>(ReadOnlySpan<byte> chunk, SocketProtocol protocol, uint? sequence, List<T> sink)
        where TDecoder : IDiagDecoder<T>
    {
        var reader = new NetlinkMessageReader(chunk);
        int bad = 0;
        while (true)
        {
            NetlinkReadResult read = reader.TryRead(out ushort type, out _, out uint seq, out ReadOnlySpan<byte> payload);
            if (read == NetlinkReadResult.EndOfBuffer)
                return new(DumpProgress.NeedMore, 0, bad, null);
            if (read == NetlinkReadResult.Malformed)
                return new(DumpProgress.Malformed, 0, bad, $"bad nlmsghdr length at byte {reader.Offset} of {chunk.Length}");
            if (sequence is uint expected && seq != expected)
                continue;   // a late reply to an earlier request on this socket

            switch (type)
            {
                case NetlinkConstants.SOCK_DIAG_BY_FAMILY:
                case NetlinkConstants.TCPDIAG_GETSOCK:   // a reply carries its request's type; both carry inet_diag_msg
                    if (TDecoder.TryDecode(payload, protocol, out T entry))
                        sink.Add(entry);
                    else
                        bad++;
                    break;
                case NetlinkConstants.NLMSG_DONE:
                    // Since Linux 4.x a dump that fails part-way ends with NLMSG_DONE carrying -errno.
                    int status = payload.Length >= 4 ? MemoryMarshal.Read<int>(payload) : 0;
                    return status < 0
                        ? new(DumpProgress.KernelError, -status, bad, "NLMSG_DONE carried an error")
                        : new(DumpProgress.Done, 0, bad, null);
                case NetlinkConstants.NLMSG_ERROR:
                    // struct nlmsgerr: int error; then the offending request header. error 0 is an ACK.
                    int error = payload.Length >= 4 ? MemoryMarshal.Read<int>(payload) : int.MinValue;
                    if (error == 0)
                        continue;
                    return error == int.MinValue
                        ? new(DumpProgress.Malformed, 0, bad, "NLMSG_ERROR without an error code")
                        : new(DumpProgress.KernelError, -error, bad, "NLMSG_ERROR");
                case NetlinkConstants.NLMSG_OVERRUN:
                    return new(DumpProgress.Malformed, 0, bad, "NLMSG_OVERRUN: the kernel dropped data");
                default:
                    break;  // NLMSG_NOOP and unknown types carry no sockets
            }
        }
    }
}
