using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// "target is busy": a tmpfs mounted by the test, kept busy by three processes in three ways, compared with
/// `fuser -vm` on the same mount; after they exit their series are gone.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BusyPathTests : IDisposable
{
    private readonly string _mount = Directory.CreateTempSubdirectory("socket-exporter-mnt-").FullName;

    public BusyPathTests() => ToolRunner.Run("mount", "-t", "tmpfs", "-o", "size=1m", "socket-exporter-test", _mount);

    [Fact]
    public void PathHolders_CwdFdAndMmapOnTmpfs_MatchFuserAndVanishAfterExit()
    {
        using ExporterProcess exporter = ExporterProcess.Start(["--watch.path=" + _mount]);
        var holders = new Dictionary<string, HolderProcess>();
        try
        {
            foreach (string mode in new[] { "cwd", "fd", "mmap" })
                holders[mode] = HolderProcess.Start("busy", mode, _mount);

            MetricSet metrics = exporter.ScrapeMetrics();
            var ours = metrics.Named("socket_path_holders").Where(s => s["path"] == _mount)
                .Select(s => (int.Parse(s["pid"]), s["access"])).ToHashSet();
            foreach ((string mode, HolderProcess holder) in holders)
                Assert.Contains((holder.Pid, mode), ours);
            Assert.Equal(1, Assert.Single(metrics.Named("socket_exporter_watch_path_resolved"), s => s["path"] == _mount).Value);

            // fuser -vm marks c (cwd), f (open file), m (mmap) for the same pids.
            var fuser = Fuser(_mount);
            foreach ((string mode, HolderProcess holder) in holders)
                Assert.Contains(mode switch { "cwd" => 'c', "fd" => 'f', _ => 'm' }, fuser[holder.Pid]);
            // Every (pid, access) fuser reports for our holders is exported, and no other access for them.
            var theirs = fuser.Where(kv => holders.Values.Any(h => h.Pid == kv.Key))
                .SelectMany(kv => kv.Value.Select(c => (kv.Key, c switch { 'c' => "cwd", 'f' => "fd", 'm' => "mmap", 'r' => "root", _ => "exe" })))
                .ToHashSet();
            Assert.Equal(theirs.OrderBy(x => x), ours.Where(o => holders.Values.Any(h => h.Pid == o.Item1)).OrderBy(x => x));
        }
        finally
        {
            foreach (HolderProcess h in holders.Values) h.Dispose();
        }
        Assert.DoesNotContain(exporter.ScrapeMetrics().Named("socket_path_holders"), s => s["path"] == _mount);
    }

    /// <summary>
    /// fuser -vm writes each PID to stdout and the rest of its row to stderr, so the two are read merged through one
    /// pipe (2>&amp;1). Rows: "[PATH:] USER PID ACCESS COMMAND"; returns pid → access letters (c, e, f, r, m).
    /// </summary>
    private static Dictionary<int, string> Fuser(string path)
    {
        string output = ToolRunner.Run("bash", ["-c", "fuser -v -m \"$1\" 2>&1", "fuser", path], TimeSpan.FromSeconds(60), acceptedExitCodes: [0, 1]);
        var result = new Dictionary<int, string>();
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(output,
            @"^\S*\s*\S+\s+(\d+)\s+([.a-zA-Z]{5})\s", System.Text.RegularExpressions.RegexOptions.Multiline))
            result[int.Parse(m.Groups[1].Value)] = m.Groups[2].Value.Replace(".", "").ToLowerInvariant();   // F: open for writing
        Assert.NotEmpty(result);
        return result;
    }

    public void Dispose()
    {
        ToolRunner.Run("umount", ["-l", _mount], TimeSpan.FromSeconds(30));
        Directory.Delete(_mount);
    }
}
