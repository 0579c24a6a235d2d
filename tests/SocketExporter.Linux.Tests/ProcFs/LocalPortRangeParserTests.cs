using System.Text;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.ProcFs;

[Trait("Category", "Unit")]
public sealed class LocalPortRangeParserTests
{
    [Fact]
    public void TryParse_Fixture_ReadsTheDefaultRange()
    {
        // Captured from this machine's host namespace: "32768<TAB>60999\n".
        Assert.True(LocalPortRangeParser.TryParse(Fixture.ReadBytes("proc/sys/net/ipv4/ip_local_port_range"), out EphemeralPortRange range, out _));
        Assert.Equal(new EphemeralPortRange(32768, 60999), range);
        Assert.True(range.Contains(32768) && range.Contains(60999));
        Assert.False(range.Contains(32767) || range.Contains(61000));
    }

    [Fact]
    public void TryParse_SpacesAndNoNewline_AreAccepted()
    {
        Assert.True(LocalPortRangeParser.TryParse("1024 65535"u8, out EphemeralPortRange range, out _));
        Assert.Equal(new EphemeralPortRange(1024, 65535), range);
    }

    [Theory]
    [InlineData("", 1)]                    // empty
    [InlineData("32768\n", 2)]             // one number
    [InlineData("x\t60999\n", 1)]          // not a number
    [InlineData("32768\t65536\n", 2)]      // not a port
    [InlineData("60999\t32768\n", 2)]      // end below start: the kernel refuses to set it
    [InlineData("-1\t60999\n", 1)]         // signed
    [InlineData("32768\t60999\t7\n", 3)]   // a third field
    public void TryParse_Malformed_ReportsFieldAndDoesNotThrow(string text, int field)
    {
        Assert.False(LocalPortRangeParser.TryParse(Encoding.ASCII.GetBytes(text), out _, out ParseError error));
        Assert.Equal((1, field), (error.Line, error.Field));
    }

    [Fact]
    public void Read_ThisNamespace_MatchesTheSysctl()
    {
        string[] expected = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        EphemeralPortRange? range = LocalPortRangeReader.Read(new ProcFileReader(), "/proc", out ReadFailure? error);
        Assert.Null(error);
        Assert.Equal(new EphemeralPortRange(ushort.Parse(expected[0]), ushort.Parse(expected[1])), range);
    }

    [Fact]
    public void Read_MissingFile_SaysWhich()
    {
        Assert.Null(LocalPortRangeReader.Read(new ProcFileReader(), "/nonexistent-proc", out ReadFailure? error));
        Assert.Equal(new ReadFailure("/nonexistent-proc/sys/net/ipv4/ip_local_port_range", SocketExporter.Linux.Interop.Constants.ENOENT), error);
        Assert.StartsWith("/nonexistent-proc/sys/net/ipv4/ip_local_port_range: ENOENT", error!.ToString());
    }
}
