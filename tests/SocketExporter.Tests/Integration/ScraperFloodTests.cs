using System.Diagnostics;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// Clients looping on filtered scrapes (?collect[]=) or on scrapes with a tiny timeout must not starve or cut short
/// Prometheus's scrape: waiting holds no thread, and a request never shortens the others' collection.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ScraperFloodTests
{
    private static async Task<(int Status, string Body, TimeSpan Took)> GetAsync(HttpClient http, string url, string? timeoutHeader)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (timeoutHeader is not null)
            request.Headers.TryAddWithoutValidation("X-Prometheus-Scrape-Timeout-Seconds", timeoutHeader);
        var clock = Stopwatch.StartNew();
        using HttpResponseMessage response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, body, clock.Elapsed);
    }

    private static int Threads(int pid) =>
        int.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Threads:"))["Threads:".Length..].Trim());

    [Theory]
    [InlineData("/metrics?collect[]=listening", null, 60)]   // dashboards or scripts polling one collector
    [InlineData("/metrics", "0.001", 2)]                     // a client claiming a 1 ms scrape timeout
    public async Task FloodingClients_PrometheusScrapesStayWholeAndThreadsBounded(string floodPath, string? floodTimeout, int clients)
    {
        using ExporterProcess exporter = ExporterProcess.Start();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string url = exporter.BaseUrl + "/metrics";
        await GetAsync(http, url, "10");   // warm up
        int threadsBefore = Threads(exporter.Pid);

        using var stop = new CancellationTokenSource();
        int floodRequests = 0;
        Task[] flood = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            using var own = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            while (!stop.IsCancellationRequested)
            {
                try { await GetAsync(own, exporter.BaseUrl + floodPath, floodTimeout); Interlocked.Increment(ref floodRequests); }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
            }
        })).ToArray();

        var scrapes = new List<(int Status, string Body, TimeSpan Took)>();
        int maxThreads = 0;
        try
        {
            await Task.Delay(1000);   // the flood is running before the first scrape
            for (int i = 0; i < 10; i++)
            {
                scrapes.Add(await GetAsync(http, url, "10"));
                maxThreads = Math.Max(maxThreads, Threads(exporter.Pid));
                await Task.Delay(300);
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(flood);
        }

        Assert.True(floodRequests > clients, $"the flood made only {floodRequests} requests");
        Assert.Equal(10, scrapes.Count);
        foreach ((int status, string body, TimeSpan took) in scrapes)
        {
            Assert.True(status == 200, $"scrape answered {status} after {took}: {body}");
            MetricSet metrics = MetricSet.Parse(body);
            Assert.All(metrics.Named("socket_exporter_deadline_skipped"), s => Assert.Equal(0, s.Value));
            Assert.All(metrics.Named("socket_exporter_collector_success"), s => Assert.Equal(1, s.Value));
            Assert.Equal(SocketExporter.Collectors.CollectorList.All(SocketExporter.Collectors.DeviceFilter.Default).Count
                - SocketExporter.Collectors.CollectorList.OffByDefault.Count, metrics.Named("socket_exporter_collector_success").Count());
        }
        // Waiting requests hold no thread: the flood may add a few pool threads for the I/O, never one per client.
        Assert.True(maxThreads < threadsBefore + clients / 2 + 8,
            $"threads: {threadsBefore} before, up to {maxThreads} with {clients} flooding clients");
        Console.WriteLine($"flood {floodPath} x{clients}: {floodRequests} requests; scrapes {string.Join(", ", scrapes.Select(s => $"{s.Took.TotalMilliseconds:0} ms"))}; threads {threadsBefore} -> {maxThreads}");
    }
}
