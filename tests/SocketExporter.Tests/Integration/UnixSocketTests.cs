using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>AF_UNIX listeners, their accept queues and connections, from unix_diag, checked against ss -xp.</summary>
[Trait("Category", "Integration")]
public sealed class UnixSocketTests(ExporterFixture fixture) : IClassFixture<ExporterFixture>, IDisposable
{
    private readonly string _workdir = Directory.CreateTempSubdirectory("socket-exporter-unix-").FullName;

    [Fact]
    public void UnixListener_Backlog4WithTwoPending_ReadsTwoOfFourAndCountsConnections()
    {
        using HolderProcess holder = HolderProcess.Start("unix", _workdir);
        string pid = holder.Pid.ToString(), path = holder.Info.GetProperty("path").GetString()!;
        string abstractName = holder.Info.GetProperty("abstract").GetString()!;
        MetricSet metrics = fixture.Exporter.ScrapeMetrics();

        Sample listening = Assert.Single(metrics.Named("socket_listening"), s => s["address"] == path);
        Assert.Equal(("unix", "unix", "", pid, "python3", 1.0),
            (listening["protocol"], listening["family"], listening["port"], listening["pid"], listening["program"], listening.Value));
        Assert.Equal(2, Assert.Single(metrics.Named("socket_listen_queue_length"), s => s["address"] == path).Value);
        Assert.Equal(4, Assert.Single(metrics.Named("socket_listen_queue_limit"), s => s["address"] == path).Value);

        // The abstract-namespace listener is written with a leading @, as ss writes it.
        Assert.Equal(pid, Assert.Single(metrics.Named("socket_listening"), s => s["address"] == abstractName)["pid"]);
        Assert.Equal(8, Assert.Single(metrics.Named("socket_listen_queue_limit"), s => s["address"] == abstractName).Value);

        // The accepted side (named by its listener) and its client (named through its peer): 2 sockets of this pid.
        // The two pending clients have no accepted peer yet, so no path to count them under.
        Sample connected = Assert.Single(metrics.Named("socket_unix_connections"), s => s["path"] == path && s["pid"] == pid);
        Assert.Equal(("established", 2.0), (connected["state"], connected.Value));

        // ss -xlp agrees on the listener and its queue.
        string ss = ToolRunner.Run("ss", "-xlpH");
        string line = Assert.Single(ss.Split('\n'), l => l.Contains(" " + path + " "));
        string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(("LISTEN", "2", "4"), (f[1], f[2], f[3]));
        Assert.Contains($"pid={pid},", line);
    }

    public void Dispose() => Directory.Delete(_workdir, recursive: true);
}
