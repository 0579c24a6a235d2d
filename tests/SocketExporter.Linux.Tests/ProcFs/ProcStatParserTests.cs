using System.Text;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.ProcFs;

[Trait("Category", "Unit")]
public sealed class ProcStatParserTests
{
    // Fields 5..21 of proc_pid_stat(5), all numeric, between ppid (4) and starttime (22).
    private static readonly string Fields5To21 = string.Join(' ', Enumerable.Repeat("0", 17));

    [Fact]
    public void TryParse_CommWithParenAndSpace_KeepsWholeComm()
    {
        byte[] text = Fixture.ReadBytes("proc/4242/stat");   // captured from a process named "evil) x"

        Assert.True(ProcStatParser.TryParse(text, out ProcStat stat, out _));
        Assert.Equal((4242, "evil) x", 'R', 1, 57902ul), (stat.Pid, stat.Comm, stat.State, stat.ParentPid, stat.StartTicks));
    }

    [Fact]
    public void TryParse_Pid1Fixture_DecodesSystemd()
    {
        Assert.True(ProcStatParser.TryParse(Fixture.ReadBytes("proc/1/stat"), out ProcStat stat, out ParseError error));
        Assert.Equal(default, error);
        Assert.Equal((1, "systemd", 'R', 0, 57907ul), (stat.Pid, stat.Comm, stat.State, stat.ParentPid, stat.StartTicks));
    }

    [Fact]
    public void TryParse_TruncatedFixture_FailsAtTheFirstMissingField()
    {
        // "4243 (worker) R 1 10684 2440 0 -1 419": fields 1..9 present (9 cut short), 10..52 missing.
        byte[] text = Fixture.ReadBytes("proc/4243/stat");
        Assert.Equal(37, text.Length);

        Assert.False(ProcStatParser.TryParse(text, out ProcStat stat, out ParseError error));
        Assert.Equal(("stat", 10), (error.Source, error.Field));
        Assert.Equal(default, stat);
    }

    [Fact]
    public void TryParse_MinimalValidLine_ReadsStartTimeFromField22()
    {
        byte[] text = Encoding.ASCII.GetBytes($"77 (a b) Z 5 {Fields5To21} 123456789012 9 9 9\n");

        Assert.True(ProcStatParser.TryParse(text, out ProcStat stat, out _));
        Assert.Equal((77, "a b", 'Z', 5, 123456789012ul), (stat.Pid, stat.Comm, stat.State, stat.ParentPid, stat.StartTicks));
    }

    [Fact]
    public void TryParse_EmptyComm_IsAllowed()
    {
        Assert.True(ProcStatParser.TryParse(Encoding.ASCII.GetBytes($"8 () S 1 {Fields5To21} 5"), out ProcStat stat, out _));
        Assert.Equal(("", 5ul), (stat.Comm, stat.StartTicks));
    }

    [Fact]
    public void TryParse_CommNotUtf8_DoesNotThrow()
    {
        byte[] text = [.. "9 ("u8, 0xFF, 0xFE, .. Encoding.ASCII.GetBytes($") S 1 {Fields5To21} 5")];

        Assert.True(ProcStatParser.TryParse(text, out ProcStat stat, out _));
        Assert.Equal(9, stat.Pid);
        Assert.Contains('\uFFFD', stat.Comm);
    }

    [Theory]
    [InlineData("", 2)]                          // empty
    [InlineData("4242 (sh S 1", 2)]              // no closing paren
    [InlineData("4242 sh) S 1", 2)]              // no opening paren
    [InlineData("x (sh) S 1", 1)]                // pid is not a number
    [InlineData("42a (sh) S 1", 1)]
    [InlineData("4242 (sh)", 3)]                 // nothing after comm
    [InlineData("4242 (sh) S", 4)]               // no ppid
    [InlineData("4242 (sh) S one 0", 4)]         // ppid is not a number
    [InlineData("4242 (sh) SS 1", 3)]            // state is one character
    [InlineData("4242 (sh) S 1 2 3", 7)]         // field 7 missing
    public void TryParse_Malformed_ReportsFieldAndDoesNotThrow(string text, int field)
    {
        Assert.False(ProcStatParser.TryParse(Encoding.ASCII.GetBytes(text), out _, out ParseError error));
        Assert.Equal(field, error.Field);
    }

    // proc_pid_stat(5) prints the pid with %d of a positive pid_t, followed by " (": a sign or a missing space is
    // not kernel text (STYLE.md section 3: NumberStyles.None).
    [Theory]
    [InlineData("-5 (sh) S 1")]
    [InlineData("+5 (sh) S 1")]
    [InlineData("4242(sh) S 1")]
    public void TryParse_PidWithSignOrWithoutSpace_IsRejectedAtField1(string start)
    {
        Assert.False(ProcStatParser.TryParse(Encoding.ASCII.GetBytes($"{start} {Fields5To21} 5"), out ProcStat stat, out ParseError error),
            $"parsed pid {stat.Pid}");
        Assert.Equal(1, error.Field);
    }

    [Fact]
    public void TryParse_StartTimeMissing_ReportsField22()
    {
        Assert.False(ProcStatParser.TryParse(Encoding.ASCII.GetBytes($"4242 (sh) S 1 {Fields5To21}\n"), out _, out ParseError error));
        Assert.Equal(22, error.Field);
    }

    [Fact]
    public void TryParse_StartTimeNotANumber_ReportsField22()
    {
        Assert.False(ProcStatParser.TryParse(Encoding.ASCII.GetBytes($"4242 (sh) S 1 {Fields5To21} soon 0"), out _, out ParseError error));
        Assert.Equal(22, error.Field);
    }
}
