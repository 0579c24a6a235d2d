using System.Text;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Golden;

/// <summary>
/// The whole /metrics text of the real exporter over the fixture proc tree (tests/SocketExporter.Linux.Tests/Fixtures/proc,
/// its sockets from the /proc/net text files there), compared with a stored expected file, like node_exporter's
/// end-to-end test: any change to a metric name, help text, label or value shows up as a diff of golden-exposition.txt
/// in review. After an intended change, regenerate the file:
/// <code>UPDATE_GOLDEN=1 dotnet test tests/SocketExporter.Tests -c Release --filter GoldenExposition</code>
/// Normalised, because they vary from run to run or host to host, and only those:
/// <list type="bullet">
/// <item>process_* and dotnet_* families: prometheus-net's metrics of the exporter's own process (dropped);</item>
/// <item>socket_exporter_collector_duration_seconds and socket_exporter_read_duration_seconds: the values (labels kept);</item>
/// <item>socket_exporter_build_info: the version and revision label values;</item>
/// <item>the order of series within a family: processes come in the proc tree's readdir order, which depends on the
/// file system the checkout is on (families keep the exporter's order).</item>
/// </list>
/// </summary>
[Trait("Category", "Unit")]
public sealed class GoldenExpositionTests
{
    private static readonly string ExpectedPath = Path.Combine(RepoPaths.Root, "tests", "SocketExporter.Tests", "Golden", "golden-exposition.txt");

    /// <summary>The exporter reads nothing of the host's sockets or processes: /proc/net text only, no other namespace,
    /// and every device is reported (the fixture's processes hold /dev/null, /dev/zero and /dev/full).</summary>
    public static readonly string[] Arguments =
    [
        "--path.procfs=" + Path.Combine(RepoPaths.Root, "tests", "SocketExporter.Linux.Tests", "Fixtures", "proc"),
        "--socket.source=procfs", "--netns.mode=own", "--netns.method=procfs", "--collector.devices.exclude=^$", "--collector.tcp_traffic",
    ];

    [Fact]
    public void GoldenExposition_FixtureProcTree_WholeMetricsTextAsStored()
    {
        string actual;
        using (ExporterProcess exporter = ExporterProcess.Start(Arguments))
            actual = Normalise(exporter.Scrape());

        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
            File.WriteAllText(ExpectedPath, actual);
        string expected = File.ReadAllText(ExpectedPath);
        if (expected != actual)
            Assert.Fail($"/metrics differs from {ExpectedPath} (if the change is intended: UPDATE_GOLDEN=1 dotnet test " +
                "tests/SocketExporter.Tests -c Release --filter GoldenExposition, and review the diff)\n" + LineDiff(expected, actual));
    }

    [Fact]
    public void Normalise_DurationsSelfMetricsBuildInfoAndSeriesOrder_OnlyThose()
    {
        const string text = """
            # HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
            # TYPE process_cpu_seconds_total counter
            process_cpu_seconds_total 0.97
            # HELP socket_exporter_collector_duration_seconds How long.
            # TYPE socket_exporter_collector_duration_seconds gauge
            socket_exporter_collector_duration_seconds{collector="fds"} 0.0010606
            # HELP socket_process_fds Fds.
            # TYPE socket_process_fds gauge
            socket_process_fds{pid="4245",program="helper",kind="socket"} 5
            socket_process_fds{pid="1",program="systemd",kind="socket"} 2
            # HELP socket_exporter_build_info Build.
            # TYPE socket_exporter_build_info gauge
            socket_exporter_build_info{version="0.1.0",revision="701b3b2"} 1

            """;
        Assert.Equal("""
            # HELP socket_exporter_collector_duration_seconds How long.
            # TYPE socket_exporter_collector_duration_seconds gauge
            socket_exporter_collector_duration_seconds{collector="fds"} <duration>
            # HELP socket_process_fds Fds.
            # TYPE socket_process_fds gauge
            socket_process_fds{pid="1",program="systemd",kind="socket"} 2
            socket_process_fds{pid="4245",program="helper",kind="socket"} 5
            # HELP socket_exporter_build_info Build.
            # TYPE socket_exporter_build_info gauge
            socket_exporter_build_info{version="<version>",revision="<revision>"} 1

            """, Normalise(text));
    }

    private static readonly string[] SelfMetricPrefixes = ["process_", "dotnet_"];
    private static readonly string[] DurationFamilies = ["socket_exporter_collector_duration_seconds", "socket_exporter_read_duration_seconds"];

    /// <summary>The exposition with what varies between runs replaced (see the class comment).</summary>
    internal static string Normalise(string exposition)
    {
        var output = new StringBuilder();
        var samples = new List<string>();
        string family = "";
        void Flush()
        {
            samples.Sort(StringComparer.Ordinal);
            foreach (string s in samples) output.Append(s).Append('\n');
            samples.Clear();
        }
        foreach (string line in exposition.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Length == 0)
                continue;
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                Flush();
                family = line.Split(' ')[2];
            }
            if (SelfMetricPrefixes.Any(p => family.StartsWith(p, StringComparison.Ordinal)))
                continue;
            if (line[0] == '#')
            {
                output.Append(line).Append('\n');
                continue;
            }
            string sample = line;
            if (DurationFamilies.Contains(family))
                sample = line[..(line.LastIndexOf(' ') + 1)] + "<duration>";
            else if (family == "socket_exporter_build_info")
                sample = System.Text.RegularExpressions.Regex.Replace(line, "(version|revision)=\"[^\"]*\"", "$1=\"<$1>\"");
            samples.Add(sample);
        }
        Flush();
        return output.ToString();
    }

    // Lines only in one of the two, each marked as diff -u would, in the order they appear.
    private static string LineDiff(string expected, string actual)
    {
        string[] e = expected.Split('\n'), a = actual.Split('\n');
        HashSet<string> inExpected = [.. e], inActual = [.. a];
        var diff = new StringBuilder();
        foreach (string line in e.Where(l => !inActual.Contains(l))) diff.Append("- ").Append(line).Append('\n');
        foreach (string line in a.Where(l => !inExpected.Contains(l))) diff.Append("+ ").Append(line).Append('\n');
        return diff.Length > 0 ? diff.ToString() : "(same lines, in another order)";
    }
}
