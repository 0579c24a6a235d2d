using System.Text;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.ProcFs;

[Trait("Category", "Unit")]
public sealed class ProcStatusParserTests
{
    [Theory]
    [InlineData("proc/4242/status", 0u)]
    [InlineData("proc/1/status", 0u)]
    [InlineData("proc/4243/status", 0u)]
    public void TryParseEffectiveUid_Fixture_ReadsUid(string file, uint expected)
    {
        byte[] text = Fixture.ReadBytes(file);
        Assert.Contains("\nUid:\t0\t0\t0\t0\n", Encoding.ASCII.GetString(text));

        Assert.True(ProcStatusParser.TryParseEffectiveUid(text, out uint uid, out ParseError error));
        Assert.Equal((expected, default(ParseError)), (uid, error));
    }

    [Fact]
    public void TryParseEffectiveUid_RealEffectiveSavedFsDiffer_ReturnsTheSecond()
    {
        byte[] text = "Name:\tsetuid\nPPid:\t1\nUid:\t1000\t0\t1002\t1003\nGid:\t5\t6\t7\t8\n"u8.ToArray();

        Assert.True(ProcStatusParser.TryParseEffectiveUid(text, out uint uid, out _));
        Assert.Equal(0u, uid);
    }

    [Fact]
    public void TryParseEffectiveUid_LargeUidLastLineWithoutNewline_Reads()
    {
        Assert.True(ProcStatusParser.TryParseEffectiveUid("Name:\tx\nUid:\t4294967294 4294967294 1 1"u8, out uint uid, out _));
        Assert.Equal(4294967294u, uid);
    }

    [Fact]
    public void TryParseEffectiveUid_MissingUidLine_ReturnsFalseWithFieldZero()
    {
        byte[] text = "Name:\tx\nPid:\t12\nGid:\t0\t0\t0\t0\n"u8.ToArray();

        Assert.False(ProcStatusParser.TryParseEffectiveUid(text, out uint uid, out ParseError error));
        Assert.Equal(("status", 0, 0u), (error.Source, error.Field, uid));
    }

    [Fact]
    public void TryParseEffectiveUid_EmptyText_ReturnsFalse()
    {
        Assert.False(ProcStatusParser.TryParseEffectiveUid([], out _, out _));
    }

    [Theory]
    [InlineData("Name:\tx\nUid:\t1000\n", 2)]              // only the real uid
    [InlineData("Name:\tx\nUid:\t1000\tabc\t0\t0\n", 2)]   // effective uid not a number
    [InlineData("Name:\tx\nUid:\t1000\t-1\t0\t0\n", 2)]    // negative
    [InlineData("Name:\tx\nUid:\n", 2)]
    public void TryParseEffectiveUid_MalformedUidLine_ReturnsFalseAtLine2(string text, int field)
    {
        Assert.False(ProcStatusParser.TryParseEffectiveUid(Encoding.ASCII.GetBytes(text), out _, out ParseError error));
        Assert.Equal((2, field), (error.Line, error.Field));
    }

    [Fact]
    public void TryParseEffectiveUid_UidOnlyAsPrefixOfAnotherKey_IsNotMatched()
    {
        Assert.False(ProcStatusParser.TryParseEffectiveUid("Name:\tx\nUidMap:\t5\t6\n"u8, out _, out _));
    }
}
