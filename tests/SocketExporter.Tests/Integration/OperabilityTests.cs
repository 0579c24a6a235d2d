using System.Net.Sockets;
using System.Text;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>Hostile HTTP, concurrent scrapers and the endpoints around /metrics, against the real exporter process.</summary>
[Trait("Category", "Integration")]
public sealed class OperabilityTests(ExporterFixture fixture) : IClassFixture<ExporterFixture>
{
    private readonly ExporterProcess _exporter = fixture.Exporter;

    private async Task<(int Status, string Body)> GetAsync(string path, params (string Name, string Value)[] headers)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, _exporter.BaseUrl + path);
        foreach ((string name, string value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        using HttpResponseMessage response = await http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/nope", 404)]
    [InlineData("/metrics/../../etc/passwd", 404)]
    [InlineData("/metrics?collect[]=junk", 400)]
    [InlineData("/metrics?collect[]=listening&exclude[]=fds", 400)]
    [InlineData("/metrics?exclude[]=%00%FF", 400)]
    [InlineData("/-/healthy", 200)]
    [InlineData("/-/ready", 200)]
    public async Task Request_OddPaths_GetCleanStatus(string path, int status)
    {
        Assert.Equal(status, (await GetAsync(path)).Status);
    }

    [Fact]
    public async Task Collect_OnlyListening_ServesThatCollectorAndTheSelfMetrics()
    {
        (int status, string body) = await GetAsync("/metrics?collect[]=listening");
        Assert.Equal(200, status);
        MetricSet metrics = MetricSet.Parse(body);
        Assert.NotEmpty(metrics.Named("socket_listening"));
        Assert.Empty(metrics.Named("socket_process_fds"));
        Assert.Equal("listening", Assert.Single(metrics.Named("socket_exporter_collector_success"))["collector"]);
    }

    [Fact]
    public async Task Request_HugeHeader_Gets431AndScrapesGoOn()
    {
        (int status, _) = await GetAsync("/metrics", ("X-Big", new string('a', 64 * 1024)));
        Assert.Equal(431, status);
        Assert.Equal(200, (await GetAsync("/metrics")).Status);
    }

    [Fact]
    public async Task SlowlorisClient_IsCutOffWithoutDelayingScrapes()
    {
        using var trickle = new TcpClient();
        await trickle.ConnectAsync("127.0.0.1", _exporter.Port);
        NetworkStream stream = trickle.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
        var feeding = Task.Run(async () =>
        {
            // One header byte every 300 ms, never finishing the request.
            try
            {
                for (int i = 0; i < 60; i++)
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("X"));
                    await Task.Delay(300);
                }
                return false;
            }
            catch (IOException) { return true; }   // the server closed the connection
        });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 3; i++)
            Assert.Equal(200, (await GetAsync("/metrics")).Status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"scrapes took {clock.Elapsed} beside a trickling client");
        Assert.True(await feeding, "the trickling connection was never closed");
    }

    [Fact]
    public async Task ConcurrentScrapers_EveryResponseCompleteAndConsistent()
    {
        async Task<int> Scraper(bool openMetrics)
        {
            int scrapes = 0;
            for (int i = 0; i < 60; i++)
            {
                (int status, string body) = openMetrics
                    ? await GetAsync("/metrics", ("Accept", "application/openmetrics-text; version=1.0.0"))
                    : await GetAsync("/metrics");
                Assert.Equal(200, status);
                if (openMetrics)
                    Assert.EndsWith("# EOF\n", body);
                MetricSet m = MetricSet.Parse(openMetrics ? body.Replace("# EOF\n", "") : body);
                Assert.Single(m.Named("socket_exporter_build_info"));
                // Each series once: a response mixing two collections would repeat or lose label sets.
                var keys = m.Samples.Select(s => s.Name + "{" + string.Join(",", s.Labels.OrderBy(l => l.Key).Select(l => l.Key + "=" + l.Value)) + "}").ToList();
                Assert.Equal(keys.Count, keys.Distinct().Count());
                Assert.Equal(m.Named("socket_exporter_collector_success").Count(), m.Named("socket_exporter_collector_duration_seconds").Count());
                scrapes++;
            }
            return scrapes;
        }
        int[] done = await Task.WhenAll(Scraper(false), Scraper(true), Scraper(false));
        Assert.Equal([60, 60, 60], done);
    }

    [Fact]
    public async Task ScrapeTimeoutHeader_TooShortForACollection_AnswersPartialOr503WithReason()
    {
        (int status, string body) = await GetAsync("/metrics", ("X-Prometheus-Scrape-Timeout-Seconds", "0.0001"));
        // 100 ms is the floor, and reading stops at 75 ms: the answer is what was read by then, or a 503 with the
        // reason if even that could not be sent in time.
        Assert.True(status == 200 || (status == 503 && body.Contains("scrape timeout")), $"{status}: {body}");
        if (status == 200)
        {
            MetricSet partial = MetricSet.Parse(body);
            double skipped = partial.Named("socket_exporter_deadline_skipped").Sum(s => s.Value);
            var failed = partial.Named("socket_exporter_collector_success").Where(s => s.Value == 0).Select(s => s["collector"]).ToList();
            // Skipped reading and failed collectors go together: a partial answer never passes for a whole one.
            Assert.True(skipped > 0 == failed.Count > 0, $"skipped {skipped}, failed collectors: {string.Join(", ", failed)}");
        }
        Assert.Equal(200, (await GetAsync("/metrics")).Status);
    }

    [Fact]
    public async Task LandingPage_ListsTheExportersOwnListener()
    {
        (int status, string body) = await GetAsync("/");
        Assert.Equal(200, status);
        Assert.Contains("<table id=\"listeners\">", body);
        Assert.Contains($"127.0.0.1:{_exporter.Port}", body);
        Assert.Contains($">{_exporter.Pid}<", body);
    }
}
