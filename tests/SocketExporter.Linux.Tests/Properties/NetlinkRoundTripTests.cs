using System.Buffers.Binary;
using System.Text;
using CsCheck;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.Properties;

/// <summary>
/// Property tests (CsCheck) for the netlink round trips: a request the writer builds reads back through the message
/// reader with every field it was given, and any socket the kernel could describe, encoded as the kernel encodes it,
/// decodes to the same entry.
/// </summary>
public sealed class NetlinkRoundTripTests
{
    private static readonly Gen<SocketFamily> InetFamily = Gen.OneOf(SocketFamily.Ipv4, SocketFamily.Ipv6);
    private static readonly Gen<SocketProtocol> InetProtocol = Gen.OneOf(SocketProtocol.Tcp, SocketProtocol.Udp);
    private static readonly Gen<SocketState> State = Gen.Int[1, 12].Select(s => (SocketState)s);

    [Fact]
    public void WriteInetDump_AnyParameters_ReadsBackAsOneRequestWithThoseParameters()
    {
        Gen.Select(InetFamily, InetProtocol, Gen.UInt, Gen.UInt).Sample((family, protocol, states, sequence) =>
        {
            byte[] buffer = new byte[SockDiagRequest.InetLength];
            SockDiagRequest.WriteInetDump(buffer, family, protocol, states, sequence);

            var reader = new NetlinkMessageReader(buffer);
            Assert.Equal(NetlinkReadResult.Message, reader.TryRead(out ushort type, out ushort flags, out uint seq, out ReadOnlySpan<byte> payload));
            Assert.Equal((NetlinkBytes.SockDiagByFamily, (ushort)0x301, sequence), (type, flags, seq));   // NLM_F_REQUEST | NLM_F_DUMP
            Assert.Equal(56, payload.Length);                                                           // inet_diag_req_v2
            Assert.Equal(((byte)family, (byte)protocol, states), (payload[0], payload[1], BinaryPrimitives.ReadUInt32LittleEndian(payload[4..])));
            Assert.Equal(NetlinkReadResult.EndOfBuffer, reader.TryRead(out _, out _, out _, out _));
        });
    }

    [Fact]
    public void UnixDiagRequest_AnySequence_ReadsBackAsOneUnixDumpRequest()
    {
        Gen.UInt.Sample(sequence =>
        {
            byte[] buffer = new byte[UnixDiagRequest.Length];
            UnixDiagRequest.WriteDump(buffer, sequence);

            var reader = new NetlinkMessageReader(buffer);
            Assert.Equal(NetlinkReadResult.Message, reader.TryRead(out ushort type, out ushort flags, out uint seq, out ReadOnlySpan<byte> payload));
            Assert.Equal((NetlinkBytes.SockDiagByFamily, (ushort)0x301, sequence), (type, flags, seq));
            Assert.Equal(24, payload.Length);                                                           // unix_diag_req
            Assert.Equal((byte)1, payload[0]);                                                          // AF_UNIX
            Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]));         // every state
            Assert.Equal(NetlinkReadResult.EndOfBuffer, reader.TryRead(out _, out _, out _, out _));
        });
    }

    private static readonly Gen<SocketEntry> InetSocket =
        Gen.Select(InetFamily, State, Gen.Byte.Array[16], Gen.UShort, Gen.Byte.Array[16], Gen.UShort, Gen.UInt, Gen.UInt)
            .SelectMany(t => Gen.Select(Gen.UInt, Gen.UInt, Gen.UInt).Select((uid, inode, iface) =>
            {
                (SocketFamily family, SocketState state, byte[] local, ushort localPort, byte[] remote, ushort remotePort, uint rq, uint wq) = t;
                if (family == SocketFamily.Ipv4)
                {
                    // inet_diag_sockid holds an IPv4 address in the first 4 of its 16 bytes; the rest are zero.
                    Array.Clear(local, 4, 12);
                    Array.Clear(remote, 4, 12);
                }
                return new SocketEntry(SocketProtocol.Tcp, family, state, InetAddress.FromBytes(local), localPort,
                    InetAddress.FromBytes(remote), remotePort, rq, wq, uid, inode, iface);
            }));

    [Fact]
    public void ParseChunk_AnySocketsAsTheKernelEncodesThem_DecodesTheSameSockets()
    {
        Gen.Select(InetSocket.List[0, 8], Gen.UInt).Sample((sockets, sequence) =>
        {
            byte[] chunk = NetlinkBytes.Concat([.. sockets.Select(s => NetlinkBytes.Message(NetlinkBytes.SockDiagByFamily, sequence, Encode(s))),
                NetlinkBytes.Done(sequence)]);
            var decoded = new List<SocketEntry>();

            DumpChunkResult result = SockDiagDumpParser.ParseChunk(chunk, SocketProtocol.Tcp, sequence, decoded);

            Assert.Equal((DumpProgress.Done, 0), (result.Progress, result.BadMessages));
            Assert.Equal(sockets.Count, decoded.Count);
            Assert.Equal(sockets, decoded);
        });
    }

    private static byte[] Encode(SocketEntry s)
    {
        Span<byte> local = stackalloc byte[16], remote = stackalloc byte[16];
        s.LocalAddress.WriteBytes(local);
        s.RemoteAddress.WriteBytes(remote);
        byte[] payload = NetlinkBytes.InetDiagMsg((byte)s.Family, (byte)s.State, s.LocalPort, s.RemotePort, (uint)s.Inode,
            s.ReceiveQueue, s.SendQueue, s.Uid, local, remote);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(40), s.BoundInterface);   // idiag_if, host order
        return payload;
    }

    // Names a process can bind: any text without NUL (a path ends at its first NUL), '@' included.
    private static readonly Gen<string> NameText = Gen.Int[1, 0x10FFFF]
        .Where(c => c is < 0xD800 or > 0xDFFF).Select(c => char.ConvertFromUtf32(c)).List[1, 20].Select(string.Concat);

    private static readonly Gen<UnixSocketEntry> UnixSocket =
        Gen.Select(Gen.OneOf(UnixSocketType.Stream, UnixSocketType.Datagram, UnixSocketType.SeqPacket), State, Gen.UInt,
                Gen.OneOf(Gen.Const((string?)null), NameText.Select(n => (string?)("/" + n)), NameText.Select(n => (string?)("@" + n))))
            .SelectMany(t => Gen.Select(Gen.UInt, Gen.UInt, Gen.UInt, Gen.Bool).Select((peer, rq, wq, queues) =>
                new UnixSocketEntry(t.Item1, t.Item2, t.Item3, t.Item4, peer, queues ? rq : 0, queues ? wq : 0, queues)));

    [Fact]
    public void UnixDiagDecoder_AnySocketAsTheKernelEncodesIt_DecodesTheSameSocket()
    {
        UnixSocket.Sample(socket =>
        {
            Assert.True(UnixDiagDecoder.TryDecode(EncodeUnix(socket), SocketProtocol.Unix, out UnixSocketEntry decoded));
            Assert.Equal(socket, decoded);
        });
    }

    // struct unix_diag_msg, then rtattrs UNIX_DIAG_NAME (0), UNIX_DIAG_PEER (2), UNIX_DIAG_RQLEN (4) as unix_diag.c emits them.
    private static byte[] EncodeUnix(UnixSocketEntry s)
    {
        var bytes = new List<byte> { 1, (byte)s.Type, (byte)s.State, 0 };
        bytes.AddRange(BitConverter.GetBytes((uint)s.Inode));
        bytes.AddRange(new byte[8]);   // cookie
        if (s.Name is { } name)
        {
            // An abstract name starts with NUL; a path is NUL-terminated (sun_path as bound).
            byte[] text = name[0] == '@' ? [0, .. Encoding.UTF8.GetBytes(name[1..])] : [.. Encoding.UTF8.GetBytes(name), 0];
            Attribute(bytes, 0, text);
        }
        if (s.PeerInode != 0)
            Attribute(bytes, 2, BitConverter.GetBytes((uint)s.PeerInode));
        if (s.QueuesKnown)
            Attribute(bytes, 4, [.. BitConverter.GetBytes(s.ReceiveQueue), .. BitConverter.GetBytes(s.SendQueue)]);
        return [.. bytes];
    }

    private static void Attribute(List<byte> bytes, ushort type, byte[] value)
    {
        bytes.AddRange(BitConverter.GetBytes((ushort)(4 + value.Length)));
        bytes.AddRange(BitConverter.GetBytes(type));
        bytes.AddRange(value);
        while (bytes.Count % 4 != 0) bytes.Add(0);
    }
}
