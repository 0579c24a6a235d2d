using System.Diagnostics;
using System.Text.Json;
using SocketExporter.Tests.Dashboards;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// A real Prometheus (Debian's package) scrapes the real exporter; every dashboard panel's query must then
/// return data. The test creates what the panels need: listeners with a backlog and unaccepted connections,
/// a CLOSE_WAIT socket, a held device, and (for the between-scrapes panels) short connections that close and refused
/// connects while Prometheus scrapes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PrometheusEndToEndTests : IDisposable
{
    private readonly string _workdir = Directory.CreateTempSubdirectory("socket-exporter-e2e-").FullName;

    [Fact]
    public void EveryDashboardQuery_AgainstRealPrometheus_ReturnsData()
    {
        using HolderProcess core = HolderProcess.Start("core");
        using HolderProcess fds = HolderProcess.Start("fds", _workdir);
        // The between-scrapes panels need their counters to move while Prometheus watches: short connections with
        // payload both ways that close, and refused connects. One round before Prometheus's first sample, one after.
        using HolderProcess churnServer = HolderProcess.StartScript("churn.py", [], "server", "se-e2esrv", "0", "300");
        using HolderProcess churnClient = HolderProcess.StartScript("churn.py", [], "client", "se-e2ecli");
        // And the listener churn panel: a listener that opens and closes between two scrapes, seen by the sampler.
        using HolderProcess listeners = HolderProcess.StartScript("listener_burst.py", [], "listen");
        int churnPort = churnServer.Int("port"), refusedPort = ExporterProcess.FreePort();
        var flashPorts = new List<int>();
        void Churn()
        {
            Assert.Equal(20, churnClient.Send($"connect {churnPort} 20 2000").GetProperty("connections").GetInt32());
            Assert.Equal(5, churnClient.Send($"refuse {refusedPort} 5").GetProperty("failed").GetInt32());
            flashPorts.Add(listeners.Send("flash 1.5").GetProperty("port").GetInt32());   // 1.5 s: sampled at the default 1 s
        }
        // A policy that expects only the core holder's shared port, so the unexpected-listeners panel has rows (its other ports).
        string policy = Path.Combine(_workdir, "policy.yml");
        File.WriteAllText(policy, $"expected_listeners:\n  - ports: \"{core.Int("shared_port")}\"\n");
        // --collector.tcp_traffic: the live + closed traffic panels (off by default) are dashboard panels too.
        using ExporterProcess exporter = ExporterProcess.Start(["--config.file=" + policy, "--collector.tcp_traffic"]);
        exporter.Scrape();   // the first scrape compiles the scrape path and subscribes to destroy events; Prometheus's come after it
        Churn();
        using PrometheusServer prometheus = PrometheusServer.Start(_workdir, exporter.Port);
        string instance = $"127.0.0.1:{exporter.Port}";

        // A scrape cut short at its deadline keeps the socket tables but not the per-process series: wait for both.
        prometheus.WaitForSeries($"count(socket_listening{{instance=\"{instance}\"}})", minimumSamples: 3);
        prometheus.WaitForSeries($"count(socket_process_fds{{instance=\"{instance}\",pid=\"{fds.Pid}\"}})", minimumSamples: 3);
        prometheus.WaitForSeries($"count(socket_connections_closed_total{{instance=\"{instance}\",port=\"{churnPort}\"}})", minimumSamples: 3);
        // The flashed listener's counters: rate() over them is a series (0 once flat) as soon as they have samples.
        prometheus.WaitForSeries($"count(socket_listeners_closed_total{{instance=\"{instance}\",port=\"{flashPorts[0]}\"}})", minimumSamples: 3);
        Churn();
        // rate() over the panels' 1m window is above 0 once Prometheus has scraped the second round.
        prometheus.WaitForSeries($"sum(rate(socket_connections_closed_rtt_samples_total{{instance=\"{instance}\",port=\"{churnPort}\"}}[1m])) > 0", minimumSamples: 1);
        prometheus.WaitForSeries($"sum(rate(socket_connect_failures_total{{instance=\"{instance}\",port=\"{refusedPort}\"}}[1m])) > 0", minimumSamples: 1);
        prometheus.WaitForSeries($"sum(rate(socket_tcp_sent_segments_total{{instance=\"{instance}\",port=\"{churnPort}\"}}[1m])) > 0", minimumSamples: 1);

        var variables = DashboardQueries.Variables(job: "socket-exporter", instance: instance.Replace(".", "\\\\."),
            program: "python3", pid: $"{core.Pid}|{fds.Pid}");
        IReadOnlyList<DashboardQuery> queries = DashboardQueries.All(RepoPaths.Root);
        Assert.True(queries.Count >= 20, $"only {queries.Count} dashboard queries found");
        var failures = new List<string>();
        foreach (DashboardQuery q in queries)
        {
            string expr = q.Resolve(variables);
            (bool ok, int results, string detail) = prometheus.Query(expr);
            if (!ok || results == 0)
                failures.Add($"{q.Dashboard} / {q.PanelTitle}: {(ok ? "empty result" : detail)}\n    {expr}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {queries.Count} panel queries failed:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task PromtoolCheckMetrics_OnRealScrape_ReportsNoProblems()
    {
        using HolderProcess core = HolderProcess.Start("core");
        using ExporterProcess exporter = ExporterProcess.Start();
        string body = exporter.Scrape();
        Assert.Contains("socket_listening{", body);

        var info = new ProcessStartInfo("promtool") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("check");
        info.ArgumentList.Add("metrics");
        using Process promtool = Process.Start(info)!;
        Task<string> stdout = promtool.StandardOutput.ReadToEndAsync(), stderr = promtool.StandardError.ReadToEndAsync();
        await promtool.StandardInput.WriteAsync(body);
        promtool.StandardInput.Close();
        await promtool.WaitForExitAsync(new CancellationTokenSource(30_000).Token);
        Assert.True(promtool.ExitCode == 0, $"promtool check metrics: {await stdout}{await stderr}");
    }

    public void Dispose() => Directory.Delete(_workdir, recursive: true);
}

/// <summary>Debian's prometheus on a loopback port, scraping its targets (every 2 s unless told), with its own data
/// directory; with a web config (TLS, basic auth) when given one.</summary>
public sealed class PrometheusServer : IDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    public string BaseUrl { get; }

    private PrometheusServer(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public static PrometheusServer Start(string workdir, int targetPort) => Start(workdir, [targetPort]);

    /// <param name="scrapeInterval">Also the scrape timeout: a loaded host's scrape can take seconds, and one cut short
    /// lacks per-process series.</param>
    /// <param name="webConfigFile">Prometheus's --web.config.file; then readiness is any HTTP answer over https (if
    /// <paramref name="tls"/>), 401 included, and <see cref="Query"/> cannot be used.</param>
    public static PrometheusServer Start(string workdir, IReadOnlyList<int> targetPorts, string scrapeInterval = "2s",
        string? webConfigFile = null, bool tls = false)
    {
        string config = Path.Combine(workdir, "prometheus.yml");
        string targets = string.Join(", ", targetPorts.Select(p => $"'127.0.0.1:{p}'"));
        File.WriteAllText(config, $"""
            global:
              scrape_interval: {scrapeInterval}
              # The exporter stops reading 0.5 s before the timeout Prometheus announces; on a loaded 2-core
              # machine 1 s would leave too little to read every process.
              scrape_timeout: {scrapeInterval}
              evaluation_interval: 1s
            scrape_configs:
              - job_name: socket-exporter
                static_configs:
                  - targets: [{targets}]
            """);
        int port = ExporterProcess.FreePort();
        var info = new ProcessStartInfo("prometheus") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("--config.file=" + config);
        info.ArgumentList.Add("--storage.tsdb.path=" + Path.Combine(workdir, "data"));
        info.ArgumentList.Add($"--web.listen-address=127.0.0.1:{port}");
        if (webConfigFile is not null)
            info.ArgumentList.Add("--web.config.file=" + webConfigFile);
        Process process = Process.Start(info) ?? throw new InvalidOperationException("prometheus did not start");
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new PrometheusServer(process, $"{(tls ? "https" : "http")}://127.0.0.1:{port}");
        server.WaitReady(anyAnswer: webConfigFile is not null);
        return server;
    }

    private void WaitReady(bool anyAnswer)
    {
        using var probe = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = static (_, _, _, _) => true })
            { Timeout = TimeSpan.FromSeconds(10) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited) throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}");
            try
            {
                using HttpResponseMessage response = probe.GetAsync(BaseUrl + "/-/ready").Result;
                if (response.IsSuccessStatusCode || (anyAnswer && response.StatusCode == System.Net.HttpStatusCode.Unauthorized)) return;
            }
            catch (AggregateException) { }
            Thread.Sleep(200);
        }
        throw new TimeoutException("prometheus not ready within 60 s");
    }

    /// <summary>Waits until a range query over the last minute has at least <paramref name="minimumSamples"/> points.</summary>
    public void WaitForSeries(string expr, int minimumSamples)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            (bool ok, int results, _) = Query($"count_over_time(({expr})[1m:1s]) >= {minimumSamples}");
            if (ok && results > 0) return;
            Thread.Sleep(500);
        }
        throw new TimeoutException($"no {minimumSamples} samples of {expr} within 90 s");
    }

    /// <summary>Waits until an instant query (as of now) has a result.</summary>
    public void WaitForNow(string expr)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            (bool ok, int results, _) = Query(expr);
            if (ok && results > 0) return;
            Thread.Sleep(500);
        }
        throw new TimeoutException($"no result for {expr} within 120 s");
    }

    public (bool Ok, int Results, string Detail) Query(string expr)
    {
        HttpResponseMessage response = _http.GetAsync(BaseUrl + "/api/v1/query?query=" + Uri.EscapeDataString(expr)).Result;
        string body = response.Content.ReadAsStringAsync().Result;
        using JsonDocument doc = JsonDocument.Parse(body);
        JsonElement root = doc.RootElement;
        if (root.GetProperty("status").GetString() != "success")
            return (false, 0, root.TryGetProperty("error", out JsonElement e) ? e.GetString() ?? body : body);
        JsonElement result = root.GetProperty("data").GetProperty("result");
        int count = result.ValueKind == JsonValueKind.Array ? result.GetArrayLength() : 1;
        return (true, count, "");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        _http.Dispose();
    }
}
