using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>Descriptor kinds and device holders against lsof, for a process holding a known set of descriptors.</summary>
[Trait("Category", "Integration")]
public sealed class DescriptorTests(ExporterFixture fixture) : IClassFixture<ExporterFixture>, IDisposable
{
    private readonly string _workdir = Directory.CreateTempSubdirectory("socket-exporter-fds-").FullName;

    // lsof's TYPE column → the exporter's kind label.
    private static string KindOfLsofType(string type) => type switch
    {
        "REG" => "file",
        "DIR" => "directory",
        "CHR" => "char_device",
        "BLK" => "block_device",
        "FIFO" => "pipe",
        "a_inode" => "anon_inode",
        "IPv4" or "IPv6" or "unix" or "sock" or "netlink" => "socket",
        _ => "other",
    };

    [Fact]
    public void ProcessFds_PerKind_EqualLsofForTheSameProcess()
    {
        using HolderProcess holder = HolderProcess.Start("fds", _workdir);
        string pid = holder.Pid.ToString();

        Dictionary<string, int> Lsof()
        {
            // -F tf: one field per line; 'f' lines carry the FD (numeric for real descriptors), 't' lines the TYPE.
            string output = ToolRunner.Run("lsof", ["-n", "-P", "-p", pid, "-F", "ft"], TimeSpan.FromSeconds(30));
            var counts = new Dictionary<string, int>();
            string? fd = null;
            foreach (string line in output.Split('\n'))
            {
                if (line.StartsWith('f')) fd = line[1..];
                else if (line.StartsWith('t') && fd is not null && fd.All(char.IsAsciiDigit))
                {
                    string kind = KindOfLsofType(line[1..]);
                    counts[kind] = counts.GetValueOrDefault(kind) + 1;
                }
            }
            return counts;
        }

        Dictionary<string, int> before = Lsof();
        MetricSet metrics = fixture.Exporter.ScrapeMetrics();
        Assert.Equal(before, Lsof());   // nothing changed around the scrape

        var ours = metrics.Named("socket_process_fds").Where(s => s["pid"] == pid).ToDictionary(s => s["kind"], s => (int)s.Value);
        Assert.True(before.Values.Sum() >= 14, $"lsof saw only {before.Values.Sum()} descriptors");
        Assert.Equal(before.OrderBy(k => k.Key), ours.OrderBy(k => k.Key));
        // At least what the holder opened itself; fds 0-2 and anything else inherited depend on how the
        // test run was started (a tty, /dev/null, a pipe or a file), and the lsof comparison above covers them.
        Assert.True(ours["anon_inode"] >= 2, $"anon_inode {ours["anon_inode"]}");      // eventfd + epoll
        Assert.True(ours["directory"] >= 1, $"directory {ours["directory"]}");
        Assert.True(ours["char_device"] >= 2, $"char_device {ours["char_device"]}");   // /dev/null, the kmsg alias
        Assert.True(Assert.Single(metrics.Named("socket_process_fd_limit"), s => s["pid"] == pid).Value > 0);
        Assert.Equal("python3", Assert.Single(metrics.Named("socket_process_info"), s => s["pid"] == pid)["program"]);
    }

    [Fact]
    public void DeviceFds_DeviceOpenedThroughSecondNode_IsReportedUnderHostPath()
    {
        using HolderProcess holder = HolderProcess.Start("fds", _workdir);
        string pid = holder.Pid.ToString();
        MetricSet metrics = fixture.Exporter.ScrapeMetrics();

        var held = metrics.Named("socket_device_fds").Where(s => s["pid"] == pid).ToList();
        Sample kmsg = Assert.Single(held, s => s["major"] == holder.Int("kmsg_major").ToString() && s["minor"] == holder.Int("kmsg_minor").ToString());
        Assert.Equal("/dev/kmsg", kmsg["device"]);   // named by the host's node, though opened through kmsg-alias
        Assert.Equal(1, kmsg.Value);
        Assert.DoesNotContain(held, s => s["device"] == "/dev/null");   // held by everyone: filtered by default
    }

    public void Dispose() => Directory.Delete(_workdir, recursive: true);
}
