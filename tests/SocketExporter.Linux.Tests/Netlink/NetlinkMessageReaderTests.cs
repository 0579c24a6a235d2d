using System.Buffers.Binary;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.Tests.Infrastructure;
using static SocketExporter.Linux.Tests.Infrastructure.NetlinkBytes;

namespace SocketExporter.Linux.Tests.Netlink;

[Trait("Category", "Unit")]
public sealed class NetlinkMessageReaderTests
{
    [Fact]
    public void TryRead_EmptyBuffer_IsEndOfBuffer()
    {
        var reader = new NetlinkMessageReader([]);

        Assert.Equal(NetlinkReadResult.EndOfBuffer, reader.TryRead(out _, out _, out _, out ReadOnlySpan<byte> payload));
        Assert.Equal(0, payload.Length);
        Assert.Equal(0, reader.Offset);
    }

    [Fact]
    public void TryRead_Capture_ReadsHeaderFieldsOfEveryMessage()
    {
        byte[] bytes = Fixture.ReadBytes("netlink/tcp4-listen-and-established.bin");
        var reader = new NetlinkMessageReader(bytes);
        var seen = new List<(ushort Type, ushort Flags, uint Sequence, int PayloadLength, int Offset)>();

        while (reader.TryRead(out ushort type, out ushort flags, out uint sequence, out ReadOnlySpan<byte> payload) == NetlinkReadResult.Message)
            seen.Add((type, flags, sequence, payload.Length, reader.Offset));

        Assert.Equal(10, seen.Count);   // 9 sockets + NLMSG_DONE
        Assert.All(seen.Take(9), m => Assert.Equal((SockDiagByFamily, (ushort)0x2, FixtureSequence, 108), (m.Type, m.Flags, m.Sequence, m.PayloadLength)));
        Assert.Equal((NlmsgDone, (ushort)0x2, FixtureSequence, 4, 1136), seen[9]);
        Assert.Equal(124, seen[0].Offset);
        Assert.Equal(bytes.Length, reader.Offset);
    }

    [Fact]
    public void TryRead_PayloadIsTheBytesAfterTheHeader_UpToNlmsgLen()
    {
        byte[] bytes = Concat(Message(0x77, 9, [1, 2, 3, 4, 5, 6, 7, 8]), Done(9));
        var reader = new NetlinkMessageReader(bytes);

        Assert.Equal(NetlinkReadResult.Message, reader.TryRead(out ushort type, out ushort flags, out uint seq, out ReadOnlySpan<byte> payload));
        Assert.Equal(((ushort)0x77, (ushort)0x2, 9u), (type, flags, seq));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], payload.ToArray());
    }

    [Fact]
    public void TryRead_UnalignedLength_NextMessageStartsAtTheNext4ByteBoundary()
    {
        // nlmsg_len 21 (5 payload bytes), padded to 24; then a DONE.
        byte[] bytes = Concat(Message(0x77, 1, [9, 9, 9, 9, 9]), Done(1));
        Assert.Equal(24 + 20, bytes.Length);
        var reader = new NetlinkMessageReader(bytes);

        Assert.Equal(NetlinkReadResult.Message, reader.TryRead(out _, out _, out _, out ReadOnlySpan<byte> first));
        Assert.Equal((5, 24), (first.Length, reader.Offset));
        Assert.Equal(NetlinkReadResult.Message, reader.TryRead(out ushort type, out _, out _, out _));
        Assert.Equal((NlmsgDone, 44), (type, reader.Offset));
        Assert.Equal(NetlinkReadResult.EndOfBuffer, reader.TryRead(out _, out _, out _, out _));
    }

    [Fact]
    public void TryRead_LastMessageUnpadded_EndsAtTheBufferEnd()
    {
        byte[] bytes = Message(0x77, 1, [9, 9, 9, 9, 9], pad: false);
        Assert.Equal(21, bytes.Length);
        var reader = new NetlinkMessageReader(bytes);

        Assert.Equal(NetlinkReadResult.Message, reader.TryRead(out _, out _, out _, out ReadOnlySpan<byte> payload));
        Assert.Equal((5, 21), (payload.Length, reader.Offset));
        Assert.Equal(NetlinkReadResult.EndOfBuffer, reader.TryRead(out _, out _, out _, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    public void TryRead_FewerBytesThanAHeader_IsMalformed(int length)
    {
        var reader = new NetlinkMessageReader(new byte[length]);

        Assert.Equal(NetlinkReadResult.Malformed, reader.TryRead(out _, out _, out _, out _));
    }

    [Theory]
    [InlineData(0u)]           // a reader that advanced by nlmsg_len would loop forever
    [InlineData(8u)]           // shorter than nlmsghdr
    [InlineData(15u)]
    [InlineData(37u)]          // one byte more than the buffer
    [InlineData(0xFFFFFFFFu)]  // would overflow a signed length
    public void TryRead_ImpossibleNlmsgLen_IsMalformed(uint nlmsgLen)
    {
        byte[] bytes = Error(1, -13);   // 36 bytes
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, nlmsgLen);
        var reader = new NetlinkMessageReader(bytes);

        Assert.Equal(NetlinkReadResult.Malformed, reader.TryRead(out _, out _, out _, out ReadOnlySpan<byte> payload));
        Assert.Equal(0, payload.Length);
    }

    [Theory]
    [InlineData("tcp4-bad-nlmsg-len")]
    [InlineData("tcp4-zero-nlmsg-len")]
    [InlineData("tcp4-len-beyond-buffer")]
    [InlineData("tcp4-truncated-message")]
    public void TryRead_MalformedCapture_ReadsMessage0ThenStopsAtOffset124(string name)
    {
        var reader = new NetlinkMessageReader(Fixture.ReadBytes($"netlink/{name}.bin"));

        Assert.Equal(NetlinkReadResult.Message, reader.TryRead(out ushort type, out _, out _, out _));
        Assert.Equal((SockDiagByFamily, 124), (type, reader.Offset));
        Assert.Equal(NetlinkReadResult.Malformed, reader.TryRead(out _, out _, out _, out _));
        Assert.Equal(124, reader.Offset);
        Assert.Equal(NetlinkReadResult.Malformed, reader.TryRead(out _, out _, out _, out _));   // stays stopped
    }

    [Fact]
    public void TryRead_NoDoneCapture_EndsWithEndOfBufferAfter9Messages()
    {
        var reader = new NetlinkMessageReader(Fixture.ReadBytes("netlink/tcp4-no-done.bin"));
        int messages = 0;
        NetlinkReadResult result;
        while ((result = reader.TryRead(out _, out _, out _, out _)) == NetlinkReadResult.Message)
            messages++;

        Assert.Equal((9, NetlinkReadResult.EndOfBuffer, 1116), (messages, result, reader.Offset));
    }
}
