using System.Diagnostics;
using System.Globalization;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Faults;

/// <summary>
/// Injected fault (issue 16, item 4): a /proc/PID/fd that turns unreadable between scrapes and mid-walk. A process
/// that clears its dumpable flag (prctl PR_SET_DUMPABLE 0) makes its /proc/PID/fd root's, and ptrace access checks
/// deny it to everyone without CAP_SYS_PTRACE, its own uid included. Root would read it all the same, so the exporter
/// runs as nobody, with a listener process of the same uid that flips the flag every few milliseconds. Each scrape
/// counts it under socket_exporter_unreadable_processes (its listener listed with an empty pid) or attributes its
/// listener to it, never both and never neither — also when the flag flips part-way through its table, after the
/// listener's link was read (the deterministic version of that race: ProcessReaderTests in SocketExporter.Linux.Tests);
/// no scrape fails; once it stays dumpable, the next scrape attributes it; nothing leaks.
/// </summary>
/// <remarks>
/// Both run in a PID namespace of their own with its own /proc (unshare --mount-proc), as nobody (setpriv), so the
/// exporter sees exactly two processes: itself (pid 1) and the flipper (pid 2).
/// </remarks>
[Trait("Category", "Integration")]
public sealed class UnreadableFdTableTests
{
    private const int Nobody = 65534, Scrapes = 150;

    [Fact]
    public void FdTableTurningUnreadable_DumpableFlippedByTheProcess_CountedOrAttributedNeverFails()
    {
        int port = ExporterProcess.FreePort();
        // Holds a listener and flips its dumpable flag at random intervals of 0-10 ms until SIGUSR1, then stays dumpable.
        string flipper = $$"""
            import ctypes, random, signal, socket, time
            PR_SET_DUMPABLE = 4
            libc = ctypes.CDLL(None, use_errno=True)
            s = socket.socket(); s.bind(("127.0.0.1", {{port}})); s.listen()
            flipping = [True]
            signal.signal(signal.SIGUSR1, lambda *_: flipping.__setitem__(0, False))
            dumpable = 1
            while flipping[0]:
                dumpable ^= 1
                libc.prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0)
                time.sleep(random.random() * 0.01)
            libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
            signal.pause()
            """;
        string uid = Nobody.ToString(CultureInfo.InvariantCulture);
        using ExporterProcess exporter = ExporterProcess.Start(command:
        [
            "unshare", "--pid", "--fork", "--mount-proc", "--kill-child",
            "setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups",
            "env", "HOME=/", "DOTNET_CLI_HOME=/", "bash", "-c",
            "python3 -c \"$1\" & shift 1; exec \"$@\"", "bash", flipper, "dotnet", RepoPaths.ExporterDll,
        ]);
        int pid = ChildOf(exporter.Pid);                  // the exporter, pid 1 in its namespace
        string portText = port.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(Nobody, Uid(pid));
        // The flipper is the exporter's child (bash started it, then became the exporter); wait for its listener.
        int flipperPid = WaitFor(() => File.ReadAllText($"/proc/{pid}/task/{pid}/children").Trim() is { Length: > 0 } c
            && exporter.ScrapeMetrics().Named("socket_listening").Any(s => s["port"] == portText)
            ? int.Parse(c.Split(' ')[0], CultureInfo.InvariantCulture) : 0);
        Assert.Equal(Nobody, Uid(flipperPid));
        (int fdsBefore, int threadsBefore) = ExitingProcessesTests.Resources(pid);

        int counted = 0, attributed = 0;
        for (int i = 0; i < Scrapes; i++)
        {
            MetricSet m = exporter.ScrapeMetrics();   // throws on any non-200
            double unreadable = Assert.Single(m.Named("socket_exporter_unreadable_processes")).Value;
            // Only the flipper can be unreadable: the exporter reads itself.
            Assert.InRange(unreadable, 0, 1);
            // A table is read whole or not at all (ProcessReader): counted unreadable, its listener is listed unattributed,
            // even when the denial came after the listener's link was read; readable, it is attributed to pid 2. Never
            // both, never neither, never missing.
            string[] holders = [.. m.Named("socket_listening").Where(s => s["port"] == portText).Select(s => s["pid"])];
            string[] expected = unreadable == 1 ? [""] : ["2"];
            Assert.True(holders.SequenceEqual(expected),
                $"scrape {i}: unreadable={unreadable}, listener pids=[{string.Join(",", holders.Select(p => $"\"{p}\""))}]");
            if (unreadable == 0) attributed++; else counted++;
        }
        Assert.True(counted > 0 && attributed > 0, $"{counted} scrapes counted it unreadable, {attributed} attributed it: the flips were not seen");

        // Dumpable for good: the next scrape attributes it, and nothing is left over from the denied walks.
        ToolRunner.Run("kill", "-USR1", flipperPid.ToString(CultureInfo.InvariantCulture));
        Thread.Sleep(200);
        MetricSet after = exporter.ScrapeMetrics();
        Assert.Equal(0, Assert.Single(after.Named("socket_exporter_unreadable_processes")).Value);
        Assert.Single(after.Named("socket_listening"), s => s["port"] == portText && s["pid"] == "2");
        (int fdsAfter, int threadsAfter) = ExitingProcessesTests.Settle(exporter, pid, fdsBefore);
        Assert.True(fdsAfter <= fdsBefore, $"descriptors {fdsBefore} before, {fdsAfter} after {Scrapes} scrapes");
        Assert.True(threadsAfter <= threadsBefore + 4, $"threads {threadsBefore} before, {threadsAfter} after {Scrapes} scrapes");
        Console.WriteLine($"{Scrapes} scrapes: {counted} counted unreadable, {attributed} attributed; " +
            $"fds {fdsBefore} -> {fdsAfter}, threads {threadsBefore} -> {threadsAfter}");
    }

    private static int ChildOf(int parent) =>
        int.Parse(File.ReadAllText($"/proc/{parent}/task/{parent}/children").Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    private static int Uid(int pid) => int.Parse(File.ReadLines($"/proc/{pid}/status")
        .First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static int WaitFor(Func<int> probe)
    {
        var clock = Stopwatch.StartNew();
        int value;
        while ((value = probe()) == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the flipper did not start listening");
            Thread.Sleep(100);
        }
        return value;
    }
}
