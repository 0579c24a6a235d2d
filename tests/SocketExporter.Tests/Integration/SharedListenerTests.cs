using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// systemd socket activation and inetd: one listener held by a parent and a differently named child. `ss -ltn` shows
/// its accept queue once; summing socket_listen_queue_* over programs must give the same number, not one per program.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SharedListenerTests
{
    [Fact]
    public void ListenerHeldByTwoPrograms_QueueSeriesSumToWhatSsShows()
    {
        string suffix = Guid.NewGuid().ToString("N")[..6];
        string parent = "parentA" + suffix, child = "childB" + suffix;   // comm holds 15 bytes: these are 13
        using HolderProcess holder = HolderProcess.StartScript("listen_holder.py", [], "shared", parent, child);
        string port = holder.Int("port").ToString();
        using ExporterProcess exporter = ExporterProcess.Start();
        MetricSet metrics = exporter.ScrapeMetrics();

        // ss -ltnp: one socket, 3 waiting, backlog 10, held by both programs.
        string line = Assert.Single(ToolRunner.Run("ss", "-ltnpH", $"sport = :{port}").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        (double recvQ, double sendQ) = (double.Parse(f[1]), double.Parse(f[2]));
        Assert.Equal((3.0, 10.0), (recvQ, sendQ));
        Assert.Contains($"\"{parent}\"", line);
        Assert.Contains($"\"{child}\"", line);

        List<Sample> lengths = metrics.Named("socket_listen_queue_length").Where(s => s["port"] == port && s["netns"] == "host").ToList();
        List<Sample> limits = metrics.Named("socket_listen_queue_limit").Where(s => s["port"] == port && s["netns"] == "host").ToList();
        Assert.NotEmpty(lengths);
        Assert.Equal(recvQ, lengths.Sum(s => s.Value));
        Assert.Equal(sendQ, limits.Sum(s => s.Value));
        // Counted once, under both names sorted and joined.
        string both = string.Join(',', new[] { parent, child }.Order(StringComparer.Ordinal));
        Assert.Equal(both, Assert.Single(lengths)["program"]);
        Assert.Equal(both, Assert.Single(limits)["program"]);
        // socket_listening still lists each holder, as ss -p does.
        Assert.Equal([child, parent], metrics.Named("socket_listening").Where(s => s["port"] == port).Select(s => s["program"]).Order(StringComparer.Ordinal));
    }
}
