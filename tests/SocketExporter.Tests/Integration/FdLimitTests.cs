using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// socket_process_fd_limit per process is `prlimit --nofile` of that process; with --metrics.drop-pid, where a program's
/// processes share one series, it is the smallest of their limits (the one the first to run out hits), never their sum.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FdLimitTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FourProcessesOfOneProgram_LimitPerProcess_OrTheSmallestWithoutPid(bool dropPid)
    {
        string name = "fdlim" + Guid.NewGuid().ToString("N")[..8];
        using HolderProcess holder = HolderProcess.StartScript("listen_holder.py", [], "fd_limits", name, "20000", "20000", "4096", "20000");
        int[] pids = [holder.Pid, .. holder.Info.GetProperty("children").EnumerateArray().Select(e => e.GetInt32())];
        Assert.Equal(4, pids.Length);
        Dictionary<string, double> soft = pids.ToDictionary(p => p.ToString(),
            p => double.Parse(ToolRunner.Run("prlimit", "--pid", p.ToString(), "--nofile", "--output=SOFT", "--noheadings").Trim()));
        Assert.Equal([4096.0, 20000, 20000, 20000], soft.Values.Order());

        using ExporterProcess exporter = ExporterProcess.Start(dropPid ? ["--metrics.drop-pid"] : []);
        List<Sample> limits = exporter.ScrapeMetrics().Named("socket_process_fd_limit").Where(s => s["program"] == name).ToList();

        if (dropPid)
            Assert.Equal(soft.Values.Min(), Assert.Single(limits).Value);
        else
            Assert.Equal(soft, limits.ToDictionary(s => s["pid"], s => s.Value));
    }
}
