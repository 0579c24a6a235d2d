using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;
using static SocketExporter.Linux.Tests.Infrastructure.NetlinkBytes;

namespace SocketExporter.Linux.Tests.Netlink;

[Trait("Category", "Unit")]
public sealed class SockDiagDumpParserTests
{
    private const SocketProtocol Raw = (SocketProtocol)255;

    // Every inet capture in Fixtures/netlink, fed whole: expected progress, errno, sockets in the sink, bad records.
    // Values come from Fixtures/README.md and each .txt.
    public static TheoryData<string, SocketProtocol, DumpProgress, int, int, int> InetCaptures => new()
    {
        { "tcp4-listen-and-established", SocketProtocol.Tcp, DumpProgress.Done, 0, 9, 0 },
        { "tcp4-ext-info-meminfo", SocketProtocol.Tcp, DumpProgress.Done, 0, 9, 0 },
        { "tcp4-listen-only", SocketProtocol.Tcp, DumpProgress.Done, 0, 1, 0 },
        { "tcp6-listen-v6only", SocketProtocol.Tcp, DumpProgress.Done, 0, 6, 0 },
        { "udp4-bound-and-connected", SocketProtocol.Udp, DumpProgress.Done, 0, 2, 0 },
        { "udp6-bound", SocketProtocol.Udp, DumpProgress.Done, 0, 1, 0 },
        { "tcp4-multipart", SocketProtocol.Tcp, DumpProgress.Done, 0, 601, 0 },
        // A real kernel without raw_diag: NLMSG_DONE carrying -ENOENT is an error, not an empty dump.
        { "raw4-enoent", Raw, DumpProgress.KernelError, 2, 0, 0 },
        // Hand-made malformed streams (README "hand-made malformed streams").
        { "tcp4-truncated-message", SocketProtocol.Tcp, DumpProgress.Malformed, 0, 1, 0 },
        { "tcp4-short-payload", SocketProtocol.Tcp, DumpProgress.Done, 0, 8, 1 },
        { "tcp4-bad-nlmsg-len", SocketProtocol.Tcp, DumpProgress.Malformed, 0, 1, 0 },
        { "tcp4-zero-nlmsg-len", SocketProtocol.Tcp, DumpProgress.Malformed, 0, 1, 0 },
        { "tcp4-len-beyond-buffer", SocketProtocol.Tcp, DumpProgress.Malformed, 0, 1, 0 },
        { "tcp4-nlmsg-error", SocketProtocol.Tcp, DumpProgress.KernelError, 13, 1, 0 },
        { "tcp4-done-negative", SocketProtocol.Tcp, DumpProgress.KernelError, 2, 2, 0 },
        { "tcp4-no-done", SocketProtocol.Tcp, DumpProgress.NeedMore, 0, 9, 0 },
        // Attributes are not decoded, so a broken rtattr does not cost the socket.
        { "tcp4-bad-attribute", SocketProtocol.Tcp, DumpProgress.Done, 0, 9, 0 },
        { "tcp4-attr-len-short", SocketProtocol.Tcp, DumpProgress.Done, 0, 9, 0 },
    };

    [Fact]
    public void InetCaptures_CoverEveryInetBinInFixtures_NoneMissed()
    {
        string[] onDisk = Directory.GetFiles(Fixture.Path("netlink"), "*.bin")
            .Select(p => Path.GetFileNameWithoutExtension(p))
            .Where(n => !n.StartsWith("unix-", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToArray();
        string[] covered = InetCaptures.Select(row => (string)row[0]).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(18, onDisk.Length);
        Assert.Equal(onDisk, covered);
    }

    [Theory]
    [MemberData(nameof(InetCaptures))]
    public void ParseChunk_WholeCapture_ReportsProgressErrnoAndCounts(string name, SocketProtocol protocol,
        DumpProgress progress, int errno, int sockets, int bad)
    {
        byte[] bytes = Fixture.ReadBytes($"netlink/{name}.bin");
        var sink = new List<SocketEntry>();

        DumpChunkResult result = SockDiagDumpParser.ParseChunk(bytes, protocol, null, sink);

        Assert.Equal((progress, errno, bad), (result.Progress, result.Errno, result.BadMessages));
        Assert.Equal(sockets, sink.Count);
        Assert.All(sink, s => Assert.Equal(protocol, s.Protocol));
        if (progress is DumpProgress.Malformed or DumpProgress.KernelError)
            Assert.False(string.IsNullOrEmpty(result.Detail));
    }

    [Fact]
    public void ParseChunk_ListenAndEstablished_DecodesEveryRowOfTheCapture()
    {
        var sink = Parse("tcp4-listen-and-established", SocketProtocol.Tcp);

        Assert.Equal(9, sink.Count);
        // README table, in dump order: (state, local port, remote port, inode, rqueue, wqueue).
        (SocketState, ushort, ushort, ulong, uint, uint)[] expected =
        [
            (SocketState.Listen, 8080, 0, 616857, 3, 5),
            (SocketState.Established, 8080, 40002, 0, 7, 0),
            (SocketState.Established, 8080, 40004, 0, 0, 0),
            (SocketState.Established, 40001, 8080, 616858, 5, 0),
            (SocketState.Established, 40002, 8080, 616860, 0, 0),
            (SocketState.Established, 40003, 8080, 616861, 0, 0),
            (SocketState.Established, 40004, 8080, 616862, 0, 0),
            (SocketState.Established, 8080, 40001, 616859, 11, 0),
            (SocketState.Established, 8080, 40003, 0, 0, 0),
        ];
        Assert.Equal(expected, sink.Select(s => (s.State, s.LocalPort, s.RemotePort, s.Inode, s.ReceiveQueue, s.SendQueue)));
        Assert.All(sink, s => Assert.Equal((SocketFamily.Ipv4, 0u), (s.Family, s.Uid)));
    }

    [Fact]
    public void ParseChunk_BacklogListener_HasAcceptQueue3AndBacklog5()
    {
        var sink = Parse("tcp4-listen-only", SocketProtocol.Tcp);

        SocketEntry listener = Assert.Single(sink);
        Assert.Equal((SocketState.Listen, (ushort)8080, 616857ul), (listener.State, listener.LocalPort, listener.Inode));
        Assert.Equal(3u, listener.ReceiveQueue);   // accept queue: 40002..40004 not accepted
        Assert.Equal(5u, listener.SendQueue);      // listen(5)
        Assert.True(listener.IsListening);
        Assert.Equal("127.0.0.1", listener.LocalAddress.Format(SocketFamily.Ipv4));
        Assert.Equal("0.0.0.0", listener.RemoteAddress.Format(SocketFamily.Ipv4));
    }

    [Fact]
    public void ParseChunk_ExtInfoMeminfo_AttributesDoNotChangeTheFixedFields()
    {
        var plain = Parse("tcp4-listen-and-established", SocketProtocol.Tcp);
        var withAttributes = Parse("tcp4-ext-info-meminfo", SocketProtocol.Tcp);

        Assert.Equal(9, withAttributes.Count);
        Assert.Equal(plain, withAttributes);
    }

    [Fact]
    public void ParseChunk_Tcp6_DecodesV6AndV4MappedAddresses()
    {
        var sink = Parse("tcp6-listen-v6only", SocketProtocol.Tcp);

        Assert.Equal(6, sink.Count);
        Assert.All(sink, s => Assert.Equal(SocketFamily.Ipv6, s.Family));
        (SocketState, string, ushort, string, ushort, ulong, uint)[] expected =
        [
            (SocketState.Listen, "::1", 8443, "::", 0, 616863, 16),
            (SocketState.Listen, "::", 9090, "::", 0, 616864, 32),
            (SocketState.Established, "::ffff:127.0.0.1", 40012, "::ffff:127.0.0.1", 9090, 616867, 0),
            (SocketState.Established, "::1", 40011, "::1", 8443, 616865, 0),
            (SocketState.Established, "::1", 8443, "::1", 40011, 616866, 0),
            (SocketState.Established, "::ffff:127.0.0.1", 9090, "::ffff:127.0.0.1", 40012, 616868, 0),
        ];
        Assert.Equal(expected, sink.Select(s => (s.State, s.LocalAddress.Format(SocketFamily.Ipv6), s.LocalPort,
            s.RemoteAddress.Format(SocketFamily.Ipv6), s.RemotePort, s.Inode, s.SendQueue)));
    }

    [Fact]
    public void ParseChunk_Udp4_UnconnectedIsState7AndConnectedIsState1()
    {
        var sink = Parse("udp4-bound-and-connected", SocketProtocol.Udp);

        Assert.Equal(2, sink.Count);
        SocketEntry bound = sink[0], connected = sink[1];
        Assert.Equal((SocketState.Close, (ushort)5353, (ushort)0, 616869ul, 832u),
            (bound.State, bound.LocalPort, bound.RemotePort, bound.Inode, bound.ReceiveQueue));
        Assert.Equal((SocketState.Established, (ushort)5354, (ushort)5353, 616870ul, 0u),
            (connected.State, connected.LocalPort, connected.RemotePort, connected.Inode, connected.ReceiveQueue));
        Assert.Equal("127.0.0.1", connected.RemoteAddress.Format(SocketFamily.Ipv4));
        Assert.True(bound.IsListening);
        Assert.False(connected.IsListening);
    }

    [Fact]
    public void ParseChunk_Udp6_BoundSocketIsState7OnLoopback()
    {
        var sink = Parse("udp6-bound", SocketProtocol.Udp);

        SocketEntry s = Assert.Single(sink);
        Assert.Equal((SocketFamily.Ipv6, SocketState.Close, "::1", (ushort)5355, "::", (ushort)0, 616871ul),
            (s.Family, s.State, s.LocalAddress.Format(SocketFamily.Ipv6), s.LocalPort, s.RemoteAddress.Format(SocketFamily.Ipv6),
                s.RemotePort, s.Inode));
    }

    [Fact]
    public void ParseChunk_Multipart_Decodes601SocketsAsRecorded()
    {
        var sink = Parse("tcp4-multipart", SocketProtocol.Tcp);

        Assert.Equal(601, sink.Count);
        SocketEntry listener = Assert.Single(sink, s => s.State == SocketState.Listen);
        Assert.Equal(((ushort)7000, 616139ul, 0u, 512u), (listener.LocalPort, listener.Inode, listener.ReceiveQueue, listener.SendQueue));
        Assert.Equal(600, sink.Count(s => s.State == SocketState.Established));
        Assert.Equal(300, sink.Count(s => s.State == SocketState.Established && s.LocalPort == 7000));
        Assert.Equal(300, sink.Count(s => s.State == SocketState.Established && s.RemotePort == 7000));
        Assert.Equal(601, sink.Select(s => s.Inode).Distinct().Count());
        Assert.DoesNotContain(sink, s => s.Inode == 0);
        Assert.Equal(0ul, sink.Where(s => s.State == SocketState.Established).Aggregate(0ul, (sum, s) => sum + s.ReceiveQueue + s.SendQueue));
        Assert.Equal(sink[0], listener);   // the first message is the listener
        SocketEntry last = sink[^1];
        Assert.Equal((SocketState.Established, (ushort)7000, (ushort)30291, 617747ul), (last.State, last.LocalPort, last.RemotePort, last.Inode));
    }

    [Theory]
    [InlineData("tcp4-multipart", SocketProtocol.Tcp, 5, 601)]
    [InlineData("tcp4-ext-info-meminfo", SocketProtocol.Tcp, 3, 9)]
    [InlineData("tcp4-listen-and-established", SocketProtocol.Tcp, 2, 9)]
    [InlineData("tcp6-listen-v6only", SocketProtocol.Tcp, 2, 6)]
    [InlineData("udp4-bound-and-connected", SocketProtocol.Udp, 2, 2)]
    public void ParseChunk_RecordedRecvChunks_NeedMoreUntilTheLastChunkThenDone(string name, SocketProtocol protocol, int chunkCount, int sockets)
    {
        byte[] bytes = Fixture.ReadBytes($"netlink/{name}.bin");
        int[] sizes = Fixture.NetlinkChunkSizes(name);
        Assert.Equal(chunkCount, sizes.Length);
        Assert.Equal(bytes.Length, sizes.Sum());

        var sink = new List<SocketEntry>();
        var progress = new List<DumpProgress>();
        int offset = 0;
        foreach (int size in sizes)
        {
            DumpChunkResult r = SockDiagDumpParser.ParseChunk(bytes.AsSpan(offset, size), protocol, NetlinkBytes.FixtureSequence, sink);
            Assert.Equal(0, r.BadMessages);
            progress.Add(r.Progress);
            offset += size;
        }

        DumpProgress[] expected = [.. Enumerable.Repeat(DumpProgress.NeedMore, chunkCount - 1), DumpProgress.Done];
        Assert.Equal(expected, progress);
        Assert.Equal(sockets, sink.Count);
        Assert.Equal(Parse(name, protocol), sink);
    }

    [Fact]
    public void ParseChunk_MultipartChunks_SocketsPerChunkMatchTheRecording()
    {
        byte[] bytes = Fixture.ReadBytes("netlink/tcp4-multipart.bin");
        int[] sizes = Fixture.NetlinkChunkSizes("tcp4-multipart");
        Assert.Equal([3720, 32364, 32364, 6076, 20], sizes);

        var perChunk = new List<int>();
        var sink = new List<SocketEntry>();
        int offset = 0;
        foreach (int size in sizes)
        {
            int before = sink.Count;
            SockDiagDumpParser.ParseChunk(bytes.AsSpan(offset, size), SocketProtocol.Tcp, null, sink);
            perChunk.Add(sink.Count - before);
            offset += size;
        }

        Assert.Equal([30, 261, 261, 49, 0], perChunk);   // "messages per chunk" in tcp4-multipart.txt
    }

    [Theory]
    [InlineData("tcp4-truncated-message")]
    [InlineData("tcp4-bad-nlmsg-len")]
    [InlineData("tcp4-zero-nlmsg-len")]
    [InlineData("tcp4-len-beyond-buffer")]
    [InlineData("tcp4-nlmsg-error")]
    public void ParseChunk_StreamBrokenAfterMessage0_KeepsOnlyTheListener(string name)
    {
        var sink = new List<SocketEntry>();
        DumpChunkResult r = SockDiagDumpParser.ParseChunk(Fixture.ReadBytes($"netlink/{name}.bin"), SocketProtocol.Tcp, null, sink);

        Assert.NotEqual(DumpProgress.Done, r.Progress);
        SocketEntry only = Assert.Single(sink);
        Assert.Equal((SocketState.Listen, (ushort)8080, 616857ul, 3u, 5u), (only.State, only.LocalPort, only.Inode, only.ReceiveQueue, only.SendQueue));
    }

    [Fact]
    public void ParseChunk_ShortPayload_SkipsMessage1AndKeepsTheOthers()
    {
        var sink = new List<SocketEntry>();
        DumpChunkResult r = SockDiagDumpParser.ParseChunk(Fixture.ReadBytes("netlink/tcp4-short-payload.bin"), SocketProtocol.Tcp, null, sink);

        Assert.Equal((DumpProgress.Done, 1), (r.Progress, r.BadMessages));
        Assert.Equal(8, sink.Count);
        // Message 1 (8080 <- 40002, rqueue 7) was the short one: nothing of it may appear.
        Assert.DoesNotContain(sink, s => s.RemotePort == 40002 && s.LocalPort == 8080);
        Assert.Equal([616857ul, 0, 616858, 616860, 616861, 616862, 616859, 0], sink.Select(s => s.Inode));
    }

    [Fact]
    public void ParseChunk_DoneNegative_KeepsTwoSocketsButReportsEnoent()
    {
        var sink = new List<SocketEntry>();
        DumpChunkResult r = SockDiagDumpParser.ParseChunk(Fixture.ReadBytes("netlink/tcp4-done-negative.bin"), SocketProtocol.Tcp, null, sink);

        Assert.Equal((DumpProgress.KernelError, 2), (r.Progress, r.Errno));
        Assert.Equal(2, sink.Count);
        Assert.Equal([(ushort)0, (ushort)40002], sink.Select(s => s.RemotePort));
    }

    [Fact]
    public void ParseChunk_BadAttribute_Message0FixedFieldsStillDecode()
    {
        var sink = Parse("tcp4-bad-attribute", SocketProtocol.Tcp);

        Assert.Equal(9, sink.Count);
        Assert.Equal((SocketState.Listen, (ushort)8080, 616857ul, 3u, 5u), (sink[0].State, sink[0].LocalPort, sink[0].Inode, sink[0].ReceiveQueue, sink[0].SendQueue));
        Assert.Equal(Parse("tcp4-listen-and-established", SocketProtocol.Tcp), sink);
    }

    [Theory]
    [InlineData("unix-listen-and-connected", 6)]
    [InlineData("unix-all-attrs", 6)]
    public void ParseChunk_UnixDumpFedToInetParser_CountsEveryMessageBadAndDoesNotThrow(string name, int messages)
    {
        var sink = new List<SocketEntry>();
        DumpChunkResult r = SockDiagDumpParser.ParseChunk(Fixture.ReadBytes($"netlink/{name}.bin"), SocketProtocol.Tcp, null, sink);

        Assert.Equal((DumpProgress.Done, messages), (r.Progress, r.BadMessages));
        Assert.Empty(sink);
    }

    [Fact]
    public void ParseChunk_ZeroLengthBuffer_NeedsMoreWithNothingDecoded()
    {
        var sink = new List<SocketEntry>();
        DumpChunkResult r = SockDiagDumpParser.ParseChunk([], SocketProtocol.Tcp, null, sink);

        Assert.Equal((DumpProgress.NeedMore, 0, 0), (r.Progress, r.Errno, r.BadMessages));
        Assert.Empty(sink);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(15)]
    public void ParseChunk_LessThanAHeader_IsMalformed(int length)
    {
        byte[] bytes = Done(1).AsSpan(0, length).ToArray();
        var sink = new List<SocketEntry>();

        DumpChunkResult r = SockDiagDumpParser.ParseChunk(bytes, SocketProtocol.Tcp, null, sink);

        Assert.Equal(DumpProgress.Malformed, r.Progress);
        Assert.Empty(sink);
    }

    [Fact]
    public void ParseChunk_SockDiagHeaderWithoutPayload_CountsOneBadMessage()
    {
        byte[] bytes = Concat(Message(SockDiagByFamily, 1, []), Done(1));
        var sink = new List<SocketEntry>();

        DumpChunkResult r = SockDiagDumpParser.ParseChunk(bytes, SocketProtocol.Tcp, null, sink);

        Assert.Equal((DumpProgress.Done, 1), (r.Progress, r.BadMessages));
        Assert.Empty(sink);
    }

    [Fact]
    public void ParseChunk_DoneHeaderWithoutStatus_IsDone()
    {
        byte[] bytes = Concat(Message(SockDiagByFamily, 1, Listener(9000, 11)), Message(NlmsgDone, 1, []));
        var sink = new List<SocketEntry>();

        DumpChunkResult r = SockDiagDumpParser.ParseChunk(bytes, SocketProtocol.Tcp, null, sink);

        Assert.Equal((DumpProgress.Done, 0), (r.Progress, r.BadMessages));
        Assert.Equal(11ul, Assert.Single(sink).Inode);
    }

    [Theory]
    [InlineData((ushort)NlmsgNoop)]
    [InlineData((ushort)0x10)]     // NLMSG_MIN_TYPE, not ours
    [InlineData((ushort)0x1234)]
    public void ParseChunk_UnknownMessageType_IsSkippedNotCounted(ushort type)
    {
        byte[] bytes = Concat(
            Message(SockDiagByFamily, 1, Listener(9000, 11)),
            Message(type, 1, [1, 2, 3, 4, 5]),
            Message(SockDiagByFamily, 1, Listener(9001, 12)),
            Done(1));
        var sink = new List<SocketEntry>();

        DumpChunkResult r = SockDiagDumpParser.ParseChunk(bytes, SocketProtocol.Tcp, null, sink);

        Assert.Equal((DumpProgress.Done, 0), (r.Progress, r.BadMessages));
        Assert.Equal([11ul, 12ul], sink.Select(s => s.Inode));
    }

    [Fact]
    public void ParseChunk_SequenceFilter_SkipsOtherSequencesIncludingTheirDone()
    {
        byte[] bytes = Concat(
            Message(SockDiagByFamily, 6, Listener(9000, 11)),    // a late reply to request 6
            Done(6),
            Message(SockDiagByFamily, 7, Listener(9001, 12)),
            Error(6, -13),                                       // an old error is not ours either
            Message(SockDiagByFamily, 7, Listener(9002, 13)),
            Done(7));
        var sink = new List<SocketEntry>();

        DumpChunkResult r = SockDiagDumpParser.ParseChunk(bytes, SocketProtocol.Tcp, 7, sink);

        Assert.Equal((DumpProgress.Done, 0, 0), (r.Progress, r.Errno, r.BadMessages));
        Assert.Equal([12ul, 13ul], sink.Select(s => s.Inode));
    }

    [Fact]
    public void ParseChunk_NoSequenceFilter_AcceptsEverySequence()
    {
        byte[] bytes = Concat(Message(SockDiagByFamily, 6, Listener(9000, 11)), Message(SockDiagByFamily, 7, Listener(9001, 12)), Done(8));
        var sink = new List<SocketEntry>();

        DumpChunkResult r = SockDiagDumpParser.ParseChunk(bytes, SocketProtocol.Tcp, null, sink);

        Assert.Equal(DumpProgress.Done, r.Progress);
        Assert.Equal(2, sink.Count);
    }

    [Fact]
    public void ParseChunk_ErrorZeroIsAnAck_ParsingContinues()
    {
        byte[] bytes = Concat(Error(1, 0), Message(SockDiagByFamily, 1, Listener(9000, 11)), Done(1));
        var sink = new List<SocketEntry>();

        DumpChunkResult r = SockDiagDumpParser.ParseChunk(bytes, SocketProtocol.Tcp, null, sink);

        Assert.Equal(DumpProgress.Done, r.Progress);
        Assert.Equal(11ul, Assert.Single(sink).Inode);
    }

    [Fact]
    public void ParseChunk_ErrorWithoutErrorCode_IsMalformed()
    {
        byte[] bytes = Concat(Message(NlmsgError, 1, [0xF3, 0xFF]), Done(1));

        DumpChunkResult r = SockDiagDumpParser.ParseChunk(bytes, SocketProtocol.Tcp, null, []);

        Assert.Equal(DumpProgress.Malformed, r.Progress);
    }

    [Fact]
    public void ParseChunk_Overrun_IsMalformed()
    {
        byte[] bytes = Concat(Message(NlmsgOverrun, 1, []), Done(1));

        DumpChunkResult r = SockDiagDumpParser.ParseChunk(bytes, SocketProtocol.Tcp, null, []);

        Assert.Equal(DumpProgress.Malformed, r.Progress);
    }

    [Fact]
    public void ParseChunk_MessagesAfterDone_AreNotRead()
    {
        byte[] bytes = Concat(Message(SockDiagByFamily, 1, Listener(9000, 11)), Done(1), Message(SockDiagByFamily, 1, Listener(9001, 12)));
        var sink = new List<SocketEntry>();

        DumpChunkResult r = SockDiagDumpParser.ParseChunk(bytes, SocketProtocol.Tcp, null, sink);

        Assert.Equal(DumpProgress.Done, r.Progress);
        Assert.Equal(11ul, Assert.Single(sink).Inode);
    }

    [Fact]
    public void ParseChunk_AppendsToAnExistingSink_LeavesEarlierEntriesAlone()
    {
        var sink = Parse("udp6-bound", SocketProtocol.Udp);
        Assert.Single(sink);

        SockDiagDumpParser.ParseChunk(Fixture.ReadBytes("netlink/udp4-bound-and-connected.bin"), SocketProtocol.Udp, null, sink);

        Assert.Equal(3, sink.Count);
        Assert.Equal([616871ul, 616869, 616870], sink.Select(s => s.Inode));
    }

    private static byte[] Listener(ushort port, uint inode) =>
        InetDiagMsg(2, 10, port, 0, inode, local: [127, 0, 0, 1]);

    private static List<SocketEntry> Parse(string name, SocketProtocol protocol)
    {
        var sink = new List<SocketEntry>();
        DumpChunkResult r = SockDiagDumpParser.ParseChunk(Fixture.ReadBytes($"netlink/{name}.bin"), protocol, null, sink);
        Assert.Equal(DumpProgress.Done, r.Progress);
        return sink;
    }
}
