using System.Diagnostics;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>A wrong --path.procfs must not look like a healthy host without processes: refused at start, failed per scrape.</summary>
[Trait("Category", "Integration")]
public sealed class ProcRootCheckTests : IDisposable
{
    private readonly string _workdir = Directory.CreateTempSubdirectory("socket-exporter-procroot-").FullName;

    [Theory]
    [InlineData("empty")]
    [InlineData("/dev")]
    public async Task Exporter_ProcRootWithoutProcesses_ExitsWith2AndSaysWhy(string root)
    {
        string path = root == "empty" ? _workdir : root;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(RepoPaths.ExporterDll);
        info.ArgumentList.Add($"--web.listen-address=127.0.0.1:{ExporterProcess.FreePort()}");
        info.ArgumentList.Add($"--path.procfs={path}");
        using Process p = Process.Start(info)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"the exporter kept running with --path.procfs={path}");
        }
        string error = await stderr;
        Assert.Equal(2, p.ExitCode);
        Assert.StartsWith($"socket_exporter: error: --path.procfs: {path} is not a proc filesystem", error);
        Assert.Contains("no process directories", error);
    }

    [Fact]
    public void Scrape_ProcRootThatLosesItsProcesses_ProcessCollectorsFailAndProcfsOkIs0()
    {
        // A copy with one (empty) pid directory passes the start-up check; then it loses it, as a wrong mount would be.
        string pidDir = Directory.CreateDirectory(Path.Combine(_workdir, "1")).FullName;
        using ExporterProcess exporter = ExporterProcess.Start([$"--path.procfs={_workdir}"]);
        MetricSet first = exporter.ScrapeMetrics();
        Assert.Equal(0, Assert.Single(first.Named("socket_exporter_procfs_ok")).Value);   // a copy, not a proc filesystem
        Assert.Equal(1, Success(first, "process_info"));

        Directory.Delete(pidDir);
        MetricSet second = exporter.ScrapeMetrics();

        Assert.Equal(0, Assert.Single(second.Named("socket_exporter_procfs_ok")).Value);
        foreach (string collector in new[] { "process_info", "fds" })
            Assert.Equal(0, Success(second, collector));
        Assert.True(exporter.WaitForStderr("has no process directories", TimeSpan.FromSeconds(10)), exporter.Stderr);
    }

    private static double Success(MetricSet metrics, string collector) =>
        Assert.Single(metrics.Named("socket_exporter_collector_success"), s => s["collector"] == collector).Value;

    public void Dispose() => Directory.Delete(_workdir, recursive: true);
}
