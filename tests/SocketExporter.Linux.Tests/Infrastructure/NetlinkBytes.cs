using System.Buffers.Binary;

namespace SocketExporter.Linux.Tests.Infrastructure;

/// <summary>Hand-encodes netlink messages (nlmsghdr in host order, little-endian on the test machines).</summary>
public static class NetlinkBytes
{
    public const ushort NlmsgNoop = 1, NlmsgError = 2, NlmsgDone = 3, NlmsgOverrun = 4, SockDiagByFamily = 20;
    public const uint FixtureSequence = 0x5d1a6;

    /// <summary>One message: 16-byte header + payload, padded to 4 bytes unless <paramref name="pad"/> is false.</summary>
    public static byte[] Message(ushort type, uint sequence, ReadOnlySpan<byte> payload, ushort flags = 0x2, bool pad = true)
    {
        int length = 16 + payload.Length;
        byte[] bytes = new byte[pad ? (length + 3) & ~3 : length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), sequence);
        payload.CopyTo(bytes.AsSpan(16));
        return bytes;
    }

    public static byte[] Done(uint sequence, int status = 0)
    {
        byte[] payload = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(payload, status);
        return Message(NlmsgDone, sequence, payload);
    }

    public static byte[] Error(uint sequence, int error)
    {
        byte[] payload = new byte[20];   // struct nlmsgerr: int error + the request's nlmsghdr
        BinaryPrimitives.WriteInt32LittleEndian(payload, error);
        return Message(NlmsgError, sequence, payload, flags: 0x100);
    }

    /// <summary>A 72-byte inet_diag_msg with the fields the decoder reads (ports big-endian, the rest host order).</summary>
    public static byte[] InetDiagMsg(byte family, byte state, ushort localPort, ushort remotePort, uint inode,
        uint rqueue = 0, uint wqueue = 0, uint uid = 0, ReadOnlySpan<byte> local = default, ReadOnlySpan<byte> remote = default)
    {
        byte[] p = new byte[72];
        p[0] = family;
        p[1] = state;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), localPort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), remotePort);
        local.CopyTo(p.AsSpan(8));
        remote.CopyTo(p.AsSpan(24));
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(56), rqueue);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(60), wqueue);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(64), uid);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(68), inode);
        return p;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
