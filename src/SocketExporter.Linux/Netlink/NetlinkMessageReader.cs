using System.Runtime.InteropServices;

namespace SocketExporter.Linux.Netlink;

public enum NetlinkReadResult
{
    /// <summary>A message was read; its type and payload are returned.</summary>
    Message,
    /// <summary>No bytes are left in this buffer.</summary>
    EndOfBuffer,
    /// <summary>A header whose length is impossible: the rest of the buffer cannot be trusted.</summary>
    Malformed,
}

/// <summary>
/// Walks the nlmsghdr-framed messages of one recv() buffer (or of several buffers concatenated, as captured
/// fixtures are). Lengths are checked against the remaining bytes before anything is sliced.
/// </summary>
public ref struct NetlinkMessageReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _offset;

    public NetlinkMessageReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _offset = 0;
    }

    public readonly int Offset => _offset;

    public NetlinkReadResult TryRead(out ushort type, out ushort flags, out uint sequence, out ReadOnlySpan<byte> payload)
    {
        type = 0; flags = 0; sequence = 0; payload = default;
        ReadOnlySpan<byte> rest = _buffer[_offset..];
        if (rest.IsEmpty)
            return NetlinkReadResult.EndOfBuffer;
        if (rest.Length < NetlinkConstants.NlMsgHeaderLength)
            return NetlinkReadResult.Malformed;

        // struct nlmsghdr, host byte order: u32 len, u16 type, u16 flags, u32 seq, u32 pid.
        uint length = MemoryMarshal.Read<uint>(rest);
        if (length < NetlinkConstants.NlMsgHeaderLength || length > (uint)rest.Length)
            return NetlinkReadResult.Malformed;
        type = MemoryMarshal.Read<ushort>(rest[4..]);
        flags = MemoryMarshal.Read<ushort>(rest[6..]);
        sequence = MemoryMarshal.Read<uint>(rest[8..]);
        payload = rest[NetlinkConstants.NlMsgHeaderLength..(int)length];

        // NLMSG_ALIGN: messages start on 4-byte boundaries; the last one may end unpadded.
        int aligned = (int)((length + 3) & ~3u);
        _offset += Math.Min(aligned, rest.Length);
        return NetlinkReadResult.Message;
    }
}
