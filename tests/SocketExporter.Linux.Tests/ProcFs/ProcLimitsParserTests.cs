using System.Text;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.ProcFs;

[Trait("Category", "Unit")]
public sealed class ProcLimitsParserTests
{
    private const string Header = "Limit                     Soft Limit           Hard Limit           Units     \n" +
                                  "Max processes             96364                96364                processes \n";

    [Theory]
    [InlineData("proc/4242/limits", 1024L)]
    [InlineData("proc/1/limits", 4096L)]
    [InlineData("proc/4243/limits", 2048L)]
    public void TryParseOpenFilesSoftLimit_Fixture_ReadsTheSoftLimit(string file, long expected)
    {
        Assert.True(ProcLimitsParser.TryParseOpenFilesSoftLimit(Fixture.ReadBytes(file), out long limit, out ParseError error));
        Assert.Equal((expected, default(ParseError)), (limit, error));
    }

    [Fact]
    public void TryParseOpenFilesSoftLimit_Unlimited_IsLongMaxValue()
    {
        byte[] text = Encoding.ASCII.GetBytes(Header + "Max open files            unlimited            unlimited            files     \n");

        Assert.True(ProcLimitsParser.TryParseOpenFilesSoftLimit(text, out long limit, out _));
        Assert.Equal(long.MaxValue, limit);
    }

    [Fact]
    public void TryParseOpenFilesSoftLimit_SoftDiffersFromHard_ReturnsSoft()
    {
        byte[] text = Encoding.ASCII.GetBytes(Header + "Max open files            524288               unlimited            files     ");

        Assert.True(ProcLimitsParser.TryParseOpenFilesSoftLimit(text, out long limit, out _));
        Assert.Equal(524288L, limit);
    }

    [Theory]
    [InlineData("Max open files            abc                  1024                 files     \n")]
    [InlineData("Max open files            -1                   1024                 files     \n")]
    [InlineData("Max open files            10x24                1024                 files     \n")]
    [InlineData("Max open files\n")]
    public void TryParseOpenFilesSoftLimit_MalformedSoftLimit_ReturnsFalseAtLine3Field2(string line)
    {
        Assert.False(ProcLimitsParser.TryParseOpenFilesSoftLimit(Encoding.ASCII.GetBytes(Header + line), out _, out ParseError error));
        Assert.Equal(("limits", 3, 2), (error.Source, error.Line, error.Field));
    }

    [Theory]
    [InlineData("")]
    [InlineData(Header)]
    [InlineData("Max open file 1024 1024 files\n")]
    public void TryParseOpenFilesSoftLimit_NoOpenFilesLine_ReturnsFalse(string text)
    {
        Assert.False(ProcLimitsParser.TryParseOpenFilesSoftLimit(Encoding.ASCII.GetBytes(text), out _, out ParseError error));
        Assert.Equal(0, error.Field);
    }
}
