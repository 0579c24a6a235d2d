using System.Text;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.ProcFs;

[Trait("Category", "Unit")]
public sealed class ProcNetUnixParserTests
{
    [Fact]
    public void TryParseLine_ListenerWhosePathHasSpaces_KeepsTheWholePath()
    {
        byte[] line = Encoding.ASCII.GetBytes("0000000000000000: 00000002 00000000 00010000 0001 01 616872 /run/my app/listen sock");
        Assert.True(ProcNetUnixParser.TryParseLine(line, 2, out UnixSocketEntry entry, out _));
        Assert.Equal(("/run/my app/listen sock", SocketState.Listen, 616872ul, false),
            (entry.Name, entry.State, entry.Inode, entry.QueuesKnown));
    }

    [Fact]
    public void TryParseLine_UnboundConnected_HasNoName()
    {
        byte[] line = Encoding.ASCII.GetBytes("0000000000000000: 00000003 00000000 00000000 0001 03 616873");
        Assert.True(ProcNetUnixParser.TryParseLine(line, 3, out UnixSocketEntry entry, out _));
        Assert.Equal((null, SocketState.Established), (entry.Name, entry.State));
    }

    [Theory]
    [InlineData("0000000000000000 00000002 00000000 00010000 0001 01 1", 1)]     // Num without ':'
    [InlineData("0000000000000000: 00000002 00000000 00010000 0009 01 1", 5)]    // unknown type
    [InlineData("0000000000000000: 00000002 00000000 00010000 0001 01 x", 7)]    // inode not a number
    public void TryParseLine_Malformed_ReportsField(string text, int field)
    {
        Assert.False(ProcNetUnixParser.TryParseLine(Encoding.ASCII.GetBytes(text), 4, out _, out ParseError error));
        Assert.Equal(field, error.Field);
    }
}
