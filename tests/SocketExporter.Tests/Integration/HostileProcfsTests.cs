using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// Issue 17: one bad file under --path.procfs wedged every scrape — a process's stat that was a FIFO made every
/// scrape 503 for good and `/` hang; one reading like /dev/zero overflowed the read buffer and failed the whole
/// scrape. The real exporter over a crafted proc root: the scrape answers, the good process is exported, the two bad
/// ones are counted in socket_exporter_failed_processes. Scrapes get 30 s each (generous), so a hang fails.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HostileProcfsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socket-exporter-hostile-proc-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Fixture(string relative) =>
        Path.Combine(RepoPaths.Root, "tests", "SocketExporter.Linux.Tests", "Fixtures", "proc", relative);

    [Fact]
    public void Scrape_ProcessStatIsFifoOrDevZero_AnswersAndCountsThem_ExportsTheGoodProcess()
    {
        Directory.CreateDirectory(Path.Combine(_root, "net"));
        foreach (string file in new[] { "tcp", "tcp6", "udp", "udp6", "unix" })
            File.Copy(Fixture($"net/{file}"), Path.Combine(_root, "net", file));
        foreach (string pid in new[] { "100", "101", "102" })
        {
            Directory.CreateDirectory(Path.Combine(_root, pid, "fd"));
            foreach (string file in new[] { "stat", "status", "limits" })
                File.Copy(Fixture($"4242/{file}"), Path.Combine(_root, pid, file));
        }
        // A process is exported when it holds descriptors: 100 holds the 127.0.0.1:8080 listener of net/tcp.
        File.CreateSymbolicLink(Path.Combine(_root, "100", "fd", "3"), "socket:[616857]");
        File.Delete(Path.Combine(_root, "101", "stat"));
        ToolRunner.Run("mkfifo", Path.Combine(_root, "101", "stat"));
        File.Delete(Path.Combine(_root, "102", "stat"));
        File.CreateSymbolicLink(Path.Combine(_root, "102", "stat"), "/dev/zero");

        using ExporterProcess exporter = ExporterProcess.Start(
            [$"--path.procfs={_root}", "--socket.source=procfs", "--netns.mode=own", "--netns.method=procfs"]);
        for (int scrape = 0; scrape < 2; scrape++)   // the second as well: nothing stays stuck from the first
        {
            MetricSet metrics = exporter.ScrapeMetrics();
            Assert.Equal(2, Assert.Single(metrics.Named("socket_exporter_failed_processes")).Value);
            Sample limit = Assert.Single(metrics.Named("socket_process_fd_limit"));
            Assert.Equal(("100", "evil) x", 1024.0), (limit["pid"], limit["program"], limit.Value));
        }
        Assert.Contains("<", exporter.Scrape("/"));   // the landing page answers too
    }
}
