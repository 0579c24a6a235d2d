using System.Diagnostics;
using System.Globalization;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Faults;

/// <summary>
/// Injected fault (issue 16, item 4): processes that exit while the walk reads them — between getdents64 listing
/// /proc and the read of their stat, or between listing /proc/PID/fd and readlinkat on a descriptor. Thousands of
/// short-lived children, each holding sockets, churn while the exporter is scraped back to back. A vanished process
/// is not an error (ENOENT/ESRCH): no scrape fails, no failure or unreadable count appears, the process that stays
/// (the exporter, with its listener) is never lost, and the exporter ends with the descriptors and threads it had.
/// </summary>
/// <remarks>
/// The exporter and the load run in a PID namespace of their own with its own /proc (unshare --mount-proc), so the
/// host-wide counts it reports cover only this test's processes, not what other tests on the host run.
/// </remarks>
[Trait("Category", "Integration")]
public sealed class ExitingProcessesTests : IDisposable
{
    // Each child opens this many sockets, so listing its fd directory and reading the links takes long enough to lose the race.
    private const int SocketsPerChild = 40;
    // The load stops after this many children or LoadSeconds: a fork costs ~1 ms on an idle machine, ~60 ms on this
    // shared one under a load average of 25, so the count reached is asserted loosely and printed.
    private const int Children = 2000, LoadSeconds = 90, MinimumChildren = 300;
    private readonly string _dir = Directory.CreateTempSubdirectory("socket-exporter-exiting-").FullName;

    [Fact]
    public void ProcessesExitingMidWalk_UnderForkingLoad_ScrapesStayCompleteAndNothingLeaks()
    {
        string start = Path.Combine(_dir, "start"), forksFile = Path.Combine(_dir, "forks");
        // Children live 0-4 ms: most die while a scrape walks /proc. SIGCHLD ignored: the kernel reaps them at once.
        string load = $$"""
            import os, random, signal, socket, sys, time
            while not os.path.exists(sys.argv[1]):
                time.sleep(0.05)
            signal.signal(signal.SIGCHLD, signal.SIG_IGN)
            forks, end = 0, time.monotonic() + {{LoadSeconds}}
            while forks < {{Children}} and time.monotonic() < end:
                if os.fork() == 0:
                    held = [socket.socket() for _ in range({{SocketsPerChild}})]
                    time.sleep(random.random() * 0.004)
                    os._exit(0)
                forks += 1
            open(sys.argv[2], "w").write(str(forks))
            """;
        using ExporterProcess exporter = ExporterProcess.Start(command:
        [
            "unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "bash", "-c",
            "python3 -c \"$1\" \"$2\" \"$3\" & shift 3; exec \"$@\"", "bash", load, start, forksFile, "dotnet", RepoPaths.ExporterDll,
        ]);
        int pid = ExporterPid(exporter.Pid);
        string port = exporter.Port.ToString(CultureInfo.InvariantCulture);
        for (int i = 0; i < 3; i++)
            exporter.Scrape();
        (int fdsBefore, int threadsBefore) = Resources(pid);

        File.WriteAllText(start, "");
        int scrapes = 0;
        var clock = Stopwatch.StartNew();
        while (!File.Exists(forksFile) && clock.Elapsed < TimeSpan.FromSeconds(LoadSeconds + 60))
        {
            MetricSet m = exporter.ScrapeMetrics();   // throws on any non-200
            scrapes++;
            Assert.True(Value(m, "socket_exporter_failed_processes") == 0, "a vanished process counted as failed: " + exporter.Stderr);
            Assert.True(Value(m, "socket_exporter_unreadable_processes") == 0, "a vanished process counted as unreadable: " + exporter.Stderr);
            Assert.Equal(0, m.Named("socket_exporter_unreadable_descriptors").Sum(s => s.Value));
            // The process that stays is found in every scrape, however many vanish around it (pid 1 in its namespace).
            Assert.Single(m.Named("socket_listening"), s => s["port"] == port && s["pid"] == "1");
        }
        Thread.Sleep(200);   // the file is written before it is closed
        int forks = int.Parse(File.ReadAllText(forksFile), CultureInfo.InvariantCulture);
        Assert.True(forks >= MinimumChildren, $"only {forks} children: the load did not churn");
        Assert.True(scrapes >= 10, $"only {scrapes} scrapes during the load");

        // The next scrape is whole, and whatever the load made the exporter open or start has gone again.
        Assert.Single(exporter.ScrapeMetrics().Named("socket_listening"), s => s["port"] == port);
        (int fdsAfter, int threadsAfter) = Settle(exporter, pid, fdsBefore);
        Assert.True(fdsAfter <= fdsBefore, $"descriptors {fdsBefore} before, {fdsAfter} after {scrapes} scrapes and {forks} exits");
        // Thread-pool workers come and go with load; a leak would grow with the scrapes (one per scrape or more).
        Assert.True(threadsAfter <= threadsBefore + 4, $"threads {threadsBefore} before, {threadsAfter} after {scrapes} scrapes");
        Console.WriteLine($"{forks} exits, {scrapes} scrapes; fds {fdsBefore} -> {fdsAfter}, threads {threadsBefore} -> {threadsAfter}");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static double Value(MetricSet m, string name) => Assert.Single(m.Named(name)).Value;

    /// <summary>unshare --fork runs the command as its only child (pid 1 of the new namespace); bash execs the exporter there.</summary>
    private static int ExporterPid(int unsharePid)
    {
        string children = File.ReadAllText($"/proc/{unsharePid}/task/{unsharePid}/children").Trim();
        return int.Parse(children.Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>Scrapes until the descriptor count is back at the baseline (keep-alive connections close), for up to 20 s.</summary>
    internal static (int Fds, int Threads) Settle(ExporterProcess exporter, int pid, int fdsBefore)
    {
        var clock = Stopwatch.StartNew();
        (int fds, int threads) = Resources(pid);
        while (fds > fdsBefore && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            Thread.Sleep(500);
            exporter.Scrape();
            (fds, threads) = Resources(pid);
        }
        return (fds, threads);
    }

    internal static (int Fds, int Threads) Resources(int pid)
    {
        int fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
        string threads = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Threads:", StringComparison.Ordinal));
        return (fds, int.Parse(threads["Threads:".Length..].Trim(), CultureInfo.InvariantCulture));
    }
}
