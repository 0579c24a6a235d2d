using System.Text.Json;
using SocketExporter.Tests.Infrastructure;
using SocketExporter.Tests.Integration;

namespace SocketExporter.Tests.Who;

/// <summary>
/// `socket_exporter who --prometheus.url` against a real Prometheus (Debian's package): two exporters on this host
/// under two `instance` labels, a prefork listener (parent + forked child) the test makes; and the failures a person
/// meets (nothing listening at the URL, a Prometheus that scrapes no exporter, one behind TLS and basic auth).
/// </summary>
[Trait("Category", "Integration")]
public sealed class FleetModeTests : IDisposable
{
    private readonly string _workdir = Directory.CreateTempSubdirectory("socket-exporter-fleet-").FullName;

    [Fact]
    public void TwoExporters_WhoPort_ShowsBothInstancesWithTheTestsPids()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        int port = holder.Int("shared_port");
        using ExporterProcess first = ExporterProcess.Start(), second = ExporterProcess.Start();
        string[] instances = [$"127.0.0.1:{first.Port}", $"127.0.0.1:{second.Port}"];
        using PrometheusServer prometheus = PrometheusServer.Start(_workdir, [first.Port, second.Port], scrapeInterval: "15s");
        SortedSet<int> expected = [holder.Pid, holder.Int("child_pid")];
        string pids = string.Join('|', expected);
        // What Prometheus holds changes with every scrape, and on a loaded machine a scrape cut short at its deadline
        // lacks holders: ask once it holds, for both instances, the listener with both holders and their identity.
        // (A scrape landing between that check and `who` is retried, a few times at most.)
        string ready = $"count(socket_listening{{port=\"{port}\",pid=~\"{pids}\"}}) == 4 and on () count(socket_process_info{{pid=~\"{pids}\"}}) == 4";
        (int exit, string stdout, string stderr) = (0, "", "");
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            prometheus.WaitForNow(ready);
            (exit, stdout, stderr) = WhoRun.Run([], $"tcp:{port}", "--prometheus.url=" + prometheus.BaseUrl, "--output=json");
            if (exit == 0 && stdout.Split("\"state\":\"listen\"").Length == 5)
                break;
        }
        Assert.True(exit == 0, stderr);
        List<JsonElement> rows = [.. JsonDocument.Parse(stdout).RootElement.EnumerateArray()];
        Assert.True(rows.Count >= 4, stdout);   // per instance: the listener held by parent and child (+ connections)
        foreach (string instance in instances)
        {
            var listening = rows.Where(r => r.GetProperty("instance").GetString() == instance && r.GetProperty("state").GetString() == "listen").ToList();
            Assert.True(listening.Count == 2, stdout);
            Assert.Equal(expected, new SortedSet<int>(listening.Select(r => r.GetProperty("pid").GetInt32())));
            Assert.All(listening, r => Assert.Equal(("tcp", "127.0.0.1", port, "python3", "root"),
                (r.GetProperty("protocol").GetString(), r.GetProperty("address").GetString(), r.GetProperty("port").GetInt32(),
                 r.GetProperty("program").GetString(), r.GetProperty("user").GetString())));
        }
        Assert.Equal(instances.Order(StringComparer.Ordinal), rows.Select(r => r.GetProperty("instance").GetString()!).Distinct());

        prometheus.WaitForNow(ready);
        (exit, stdout, stderr) = WhoRun.Run([], $":{port}", "--prometheus.url=" + prometheus.BaseUrl);
        Assert.True(exit == 0, stderr);
        foreach (string instance in instances)
        {
            int at = stdout.IndexOf($"instance {instance}\n", StringComparison.Ordinal);
            Assert.True(at >= 0, stdout);
            string line = stdout[at..].Split('\n').First(l => l.Contains($"127.0.0.1:{port} "));
            Assert.Contains($"python3 ×2: {expected.Min} {expected.Max}", line);
        }
    }

    [Fact]
    public void NothingListeningAtUrl_OneLineAndExit2()
    {
        int closed = ExporterProcess.FreePort();
        var (exit, stdout, stderr) = WhoRun.Run([], ":81", $"--prometheus.url=http://127.0.0.1:{closed}");
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Equal($"socket_exporter who: cannot reach Prometheus at http://127.0.0.1:{closed}/: Connection refused\n", stderr);
    }

    [Fact]
    public void PrometheusBehindTlsAndBasicAuth_ClientFlagsReachIt_AndMissingSeriesAreNamed()
    {
        var pki = new TestPki(_workdir);
        (string cert, string key) = pki.IssueServer("prometheus");
        string hash = ToolRunner.Run("htpasswd", "-nbB", "-C", "10", "who", "s3cret").Trim().Split(':', 2)[1];
        string webConfig = Path.Combine(_workdir, "web.yml");
        File.WriteAllText(webConfig, $"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\nbasic_auth_users:\n  who: {hash}\n");
        string password = Path.Combine(_workdir, "password");
        File.WriteAllText(password, "s3cret\n");   // a trailing newline, as editors leave it
        // Scraping no exporter: an empty answer must not read as "nothing holds :81".
        using PrometheusServer prometheus = PrometheusServer.Start(_workdir, [], webConfigFile: webConfig, tls: true);
        string url = "--prometheus.url=" + prometheus.BaseUrl;
        string[] auth = ["--prometheus.username=who", "--prometheus.password-file=" + password];

        var (exit, _, stderr) = WhoRun.Run([], [":81", url, .. auth, "--prometheus.ca-file=" + pki.CaPath]);
        Assert.Equal((2, $"socket_exporter who: no socket_listening series in {prometheus.BaseUrl}/: is SocketExporter scraped?\n"), (exit, stderr));
        (exit, _, stderr) = WhoRun.Run([], ["/dev/ttyUSB0", url, .. auth, "--prometheus.insecure-skip-verify"]);
        Assert.Equal((2, $"socket_exporter who: no socket_device_fds or socket_path_holders series in {prometheus.BaseUrl}/: is SocketExporter scraped?\n"), (exit, stderr));

        (exit, _, stderr) = WhoRun.Run([], ":81", url, "--prometheus.ca-file=" + pki.CaPath);
        Assert.Equal((2, $"socket_exporter who: Prometheus at {prometheus.BaseUrl}/ answered HTTP 401 Unauthorized: check --prometheus.username/--prometheus.password-file or --prometheus.bearer-token-file\n"), (exit, stderr));
        (exit, _, stderr) = WhoRun.Run([], [":81", url, .. auth]);   // the system's trust store does not know the test CA
        Assert.Equal(2, exit);
        Assert.StartsWith($"socket_exporter who: cannot reach Prometheus at {prometheus.BaseUrl}/: ", stderr);
        Assert.True(stderr.Contains("The remote certificate is invalid"), stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("pid:1", "socket_exporter who: \"pid:1\" names a process on one host; in fleet mode ask by port, program name, device or path")]
    [InlineData(":81 --prometheus.url=ftp://x", "socket_exporter who: --prometheus.url must be an http:// or https:// URL, not \"ftp://x\"")]
    [InlineData(":81 --prometheus.timeout=soon", "socket_exporter who: --prometheus.timeout takes a duration such as 10s, 1m or 500ms, not \"soon\"")]
    [InlineData(":81 --prometheus.username=u", "socket_exporter who: --prometheus.* flags need --prometheus.url")]
    public void BadFleetArguments_OneLineAndExit2(string args, string message)
    {
        string[] argv = args.Split(' ');
        if (!args.Contains("--prometheus.url") && !args.Contains("--prometheus.username"))
            argv = [.. argv, "--prometheus.url=http://127.0.0.1:1"];
        var (exit, stdout, stderr) = WhoRun.Run([], argv);
        Assert.Equal((2, "", message + "\n"), (exit, stdout, stderr));
    }

    public void Dispose() => Directory.Delete(_workdir, recursive: true);
}
