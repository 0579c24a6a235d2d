using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SocketExporter.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SocketExporter.Tests.Web;

/// <summary>What every client sees of the HTTP surface: methods, headers, the in-flight limit, and the log it causes.</summary>
[Trait("Category", "Integration")]
public sealed class HttpSurfaceTests(ExporterFixture fixture, ITestOutputHelper output) : IClassFixture<ExporterFixture>
{
    private readonly ExporterProcess _exporter = fixture.Exporter;

    [Theory]
    [InlineData("/metrics", "text/plain")]
    [InlineData("/", "text/html")]
    [InlineData("/-/healthy", null)]
    [InlineData("/-/ready", null)]
    public async Task Head_WhereGetIsServed_Answers200WithGetsHeadersAndNoBody(string path, string? mediaType)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_exporter.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        using HttpResponseMessage get = await http.GetAsync(path);
        using HttpResponseMessage head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType);
        if (mediaType is not null)
            Assert.Equal(mediaType, head.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task BadCollect_400EchoingTheValue_IsPlainTextThatIsNeverSniffed()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_exporter.BaseUrl) };
        using HttpResponseMessage response = await http.GetAsync("/metrics?collect[]=%3Cscript%3Ealert(1)%3C/script%3E");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("<script>alert(1)</script>", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/-/healthy")]
    [InlineData("/nope")]
    public async Task EveryResponse_SaysNosniff(string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_exporter.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        using HttpResponseMessage response = await http.GetAsync(path);
        Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var values), $"{path}: no X-Content-Type-Options");
        Assert.Equal("nosniff", string.Join(",", values));
    }

    /// <remarks>Concurrent scrapes share one collection and then write their answers one turn at a time: with a limit
    /// of 1, every one of 30 concurrent scrapes still gets its answer (none is refused for arriving with the others).</remarks>
    [Fact]
    public async Task MaxRequests_MoreScrapesThanTurns_WaitTheirTurnAndAllSucceed_ProbesStillServed()
    {
        using ExporterProcess exporter = ExporterProcess.Start(["--web.max-requests=1"]);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 100 })
            { BaseAddress = new Uri(exporter.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        async Task<(HttpStatusCode Status, string Body)> Get(string path)
        {
            using HttpResponseMessage response = await http.GetAsync(path);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        var scrapes = Enumerable.Range(0, 30).Select(_ => Get("/metrics")).ToList();
        var probes = Enumerable.Range(0, 10).Select(_ => Get("/-/healthy")).ToList();
        var results = await Task.WhenAll(scrapes);

        Assert.Equal(30, results.Length);
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.All(results, r => Assert.Contains("socket_exporter_build_info", r.Body));
        output.WriteLine("30 concurrent scrapes with --web.max-requests=1: all answered 200");
        Assert.All(await Task.WhenAll(probes), r => Assert.Equal(HttpStatusCode.OK, r.Status));
    }

    /// <remarks>At debug level Kestrel logs several lines per connection (accepted, started, stopped…): one client
    /// connecting in a loop is what wrote 9.4 MB in 10 s through the connection-limit warning.</remarks>
    [Fact]
    public async Task ConnectionFlood_KestrelLogLines_AreRateLimitedWithASummary()
    {
        const int Connections = 2000;
        using ExporterProcess exporter = ExporterProcess.Start(["--log.level=debug"]);
        int before = LogLines(exporter.Stderr);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Connections; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, exporter.Port);
            await tcp.GetStream().WriteAsync("GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8.ToArray());
            while (await tcp.GetStream().ReadAsync(new byte[4096]) > 0) { }
        }
        TimeSpan took = clock.Elapsed;
        Assert.True(exporter.WaitForStderr("lines from this source suppressed", TimeSpan.FromSeconds(30)), Tail(exporter.Stderr));
        Assert.Equal(HttpStatusCode.OK, (await new HttpClient().GetAsync(exporter.BaseUrl + "/-/healthy")).StatusCode);

        int written = LogLines(exporter.Stderr) - before;
        output.WriteLine($"{Connections} connections in {took.TotalSeconds:0.0} s at debug level: {written} log lines");
        // Each source may write 20 at once and one a second after, plus its summaries; about ten sources take part.
        int bound = 15 * (20 + (int)took.TotalSeconds + 20);
        Assert.True(written < Connections && written <= bound, $"{written} lines for {Connections} connections in {took.TotalSeconds:0.0} s (bound {bound})");
    }

    // Every line: with no scrape, nearly all of them come from ASP.NET's and Kestrel's sources.
    private static int LogLines(string stderr) => stderr.Count(c => c == '\n');

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}
