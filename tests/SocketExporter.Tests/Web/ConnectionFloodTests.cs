using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SocketExporter.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SocketExporter.Tests.Web;

/// <summary>
/// Clients that connect and then do nothing, or trickle header bytes (slowloris), against the real exporter: Prometheus
/// must keep scraping within its timeout, and what the clients cost must go away with them. The clients behave like
/// an attacker: one that the server cuts off connects again, so the flood lasts for the whole test.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ConnectionFloodTests(ITestOutputHelper output) : IDisposable
{
    private const int IdleClients = 500;
    private const int SlowlorisClients = 64;
    private static readonly TimeSpan FloodDuration = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ScrapeInterval = TimeSpan.FromSeconds(1);

    private readonly string _dir = Directory.CreateTempSubdirectory("socket-exporter-flood-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task IdleAndSlowlorisClients_ScrapesKeepSucceeding_ResourcesReturnAfterwards()
    {
        using ExporterProcess exporter = ExporterProcess.Start();
        using HttpClient scraper = NewConnectionPerRequest(certificate: null, $"http://127.0.0.1:{exporter.Port}");
        await RunFloodAsync(exporter.Pid, scraper, new FloodTarget(exporter.Port, null), "plain HTTP");
    }

    [Fact]
    public async Task IdleHandshakenAndSlowlorisClients_OverTlsWithBasicAuth_ScrapesKeepSucceeding()
    {
        X509Certificate2 certificate = SelfSignedCertificate();
        string hash = ToolRunner.Run("htpasswd", "-nbB", "-C", "10", "prometheus", "s3cret").Trim().Split(':', 2)[1];
        string config = Path.Combine(_dir, "web-config.yml");
        File.WriteAllText(config, $"tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: '{hash}'\n");
        using HttpClient probe = NewConnectionPerRequest(certificate, "https://127.0.0.1", TimeSpan.FromSeconds(2));
        using ExporterProcess exporter = ExporterProcess.Start([$"--web.config.file={config}"], isReady: port =>
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{port}/-/ready");
                return probe.SendAsync(request).GetAwaiter().GetResult().StatusCode == HttpStatusCode.Unauthorized;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        });
        using HttpClient scraper = NewConnectionPerRequest(certificate, $"https://127.0.0.1:{exporter.Port}");
        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("prometheus:s3cret")));
        // Idle clients finish the TLS handshake and then send nothing (no credentials either), or make one request.
        await RunFloodAsync(exporter.Pid, scraper, new FloodTarget(exporter.Port, certificate), "TLS + basic auth");
    }

    private async Task RunFloodAsync(int pid, HttpClient scraper, FloodTarget target, string variant)
    {
        // Reference, same run: the exporter scraped with nothing else connected (the first scrapes warm it up).
        for (int i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await ScrapeAsync(scraper, TimeSpan.FromSeconds(30))).Status);
        var idleLatencies = new List<TimeSpan>();
        for (int i = 0; i < 5; i++)
        {
            (HttpStatusCode status, TimeSpan took) = await ScrapeAsync(scraper, TimeSpan.FromSeconds(30));
            Assert.Equal(HttpStatusCode.OK, status);
            idleLatencies.Add(took);
        }
        Usage before = Usage.Of(pid);
        // Prometheus's default scrape timeout, or more on a slow host: the flood must not make scrapes time out.
        TimeSpan scrapeTimeout = Max(TimeSpan.FromSeconds(10), 10 * idleLatencies.Max());

        // Two rounds: what the first leaves behind must not add up with the second.
        Round first = await FloodRoundAsync(pid, scraper, target, before, scrapeTimeout);
        Round second = await FloodRoundAsync(pid, scraper, target, before, scrapeTimeout);
        foreach ((Round round, int n) in new[] { (first, 1), (second, 2) })
        {
            output.WriteLine($"{variant}, round {n}: {IdleClients} idle + {SlowlorisClients} slowloris clients; held at each scrape min {round.Held.Min()} "
                + $"median {Median(round.Held)} max {round.Held.Max()}; {round.ConnectionsMade} connections made, {round.CutOff} cut off by the server");
            output.WriteLine($"  scrapes: {round.Succeeded} of {round.Attempted} succeeded within {scrapeTimeout.TotalSeconds:0.#} s; latency median "
                + $"{Median(round.Latencies)} ms max {MaxMs(round.Latencies)} ms (idle, same run: median {Median(idleLatencies)} ms max {MaxMs(idleLatencies)} ms)");
            output.WriteLine($"  exporter before: {before}; peak during: {round.Peak}; after: {round.After}");
            if (round.Failures.Count > 0)
                output.WriteLine("  failures: " + string.Join("; ", round.Failures));
        }
        foreach (Round round in new[] { first, second })
        {
            Assert.True(round.Succeeded == round.Attempted, $"{round.Succeeded} of {round.Attempted} scrapes succeeded under the flood: {string.Join("; ", round.Failures)}");
            // The flood was real: the clients stayed connected, and the exporter held their connections.
            // (Median: clients cut off by the same timeout reconnect together, and a sample can fall in between.)
            Assert.True(Median(round.Held) >= (IdleClients + SlowlorisClients) * 3 / 4, $"the flood was not held: {string.Join(",", round.Held)}");
            Assert.True(round.Peak.Fds >= before.Fds + IdleClients / 2, $"the exporter did not hold the connections: {before} -> {round.Peak}");
            Assert.Equal(HttpStatusCode.OK, round.AfterStatus);
            // Descriptors back to the level before; threads not growing with the clients.
            Assert.True(round.After.Fds <= before.Fds + 10, $"descriptors did not return: {before} -> {round.After}");
            Assert.True(round.Peak.Threads <= before.Threads + 40, $"threads grew with the clients: {before} -> {round.Peak}");
        }
        // Memory, generously: over plain HTTP the RSS returns to within a few MiB; with TLS, OpenSSL's allocations on
        // pool threads stay in glibc's per-thread arenas (five rounds: 131, 145, 152, 169, 175 MiB; with
        // MALLOC_ARENA_MAX=2: 127, 136, 139, 147, 141 MiB, a plateau).
        foreach (Round round in new[] { first, second })
            Assert.True(round.After.RssBytes <= before.RssBytes + Math.Max(before.RssBytes, 64L << 20), $"memory did not return: {before} -> {round.After}");
    }

    private sealed record Round(int Attempted, int Succeeded, List<TimeSpan> Latencies, List<string> Failures, List<int> Held,
        int ConnectionsMade, int CutOff, Usage Peak, Usage After, HttpStatusCode AfterStatus);

    private static async Task<Round> FloodRoundAsync(int pid, HttpClient scraper, FloodTarget target, Usage before, TimeSpan scrapeTimeout)
    {
        var flood = new Flood(target);
        Task clients = flood.RunAsync(IdleClients, SlowlorisClients);
        await flood.WaitHeldAsync(IdleClients + SlowlorisClients, TimeSpan.FromSeconds(30));
        int attempted = 0, succeeded = 0;
        var latencies = new List<TimeSpan>();
        var failures = new List<string>();
        Usage peak = before;
        var held = new List<int>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < FloodDuration)
        {
            held.Add(flood.Held);
            attempted++;
            (HttpStatusCode status, TimeSpan took) = await ScrapeAsync(scraper, scrapeTimeout);
            if (status == HttpStatusCode.OK && took < scrapeTimeout)
            {
                succeeded++;
                latencies.Add(took);
            }
            else
            {
                failures.Add($"{status} after {took.TotalMilliseconds:0} ms");
            }
            peak = Usage.Max(peak, Usage.Of(pid));
            await Task.Delay(ScrapeInterval);
        }
        int connectionsMade = flood.Connections, cutOff = flood.CutOff;
        await flood.StopAsync(clients);

        // Kestrel notices the closed connections within its heartbeat; the collection's own descriptors come and go.
        Usage after = Usage.Of(pid);
        var settle = Stopwatch.StartNew();
        while (after.Fds > before.Fds + 10 && settle.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(500);
            after = Usage.Of(pid);
        }
        // A served scrape is followed by a compacting collection (ScrapeMemoryReclaimer, at most one per 5 s).
        (HttpStatusCode afterStatus, _) = await ScrapeAsync(scraper, scrapeTimeout);
        await Task.Delay(TimeSpan.FromSeconds(6));
        return new Round(attempted, succeeded, latencies, failures, held, connectionsMade, cutOff, peak, Usage.Of(pid), afterStatus);
    }

    private static async Task<(HttpStatusCode Status, TimeSpan Took)> ScrapeAsync(HttpClient http, TimeSpan timeout)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("X-Prometheus-Scrape-Timeout-Seconds", timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        using var cancel = new CancellationTokenSource(timeout);
        var clock = Stopwatch.StartNew();
        try
        {
            using HttpResponseMessage response = await http.SendAsync(request, cancel.Token);
            await response.Content.ReadAsByteArrayAsync(cancel.Token);
            return (response.StatusCode, clock.Elapsed);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return (0, clock.Elapsed);   // refused, reset or timed out: a failed scrape
        }
    }

    /// <summary>As Prometheus after the server closed its kept-alive connection: every scrape needs a new one.</summary>
    private static HttpClient NewConnectionPerRequest(X509Certificate2? certificate, string baseAddress, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero };
        if (certificate is not null)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString();
        return new HttpClient(handler) { BaseAddress = new Uri(baseAddress), Timeout = timeout ?? Timeout.InfiniteTimeSpan };
    }

    private X509Certificate2 SelfSignedCertificate()
    {
        string cert = Path.Combine(_dir, "server.crt"), key = Path.Combine(_dir, "server.key");
        ToolRunner.Run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1");
        return X509Certificate2.CreateFromPem(File.ReadAllText(cert));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    private static long Median(List<TimeSpan> values) => values.Count == 0 ? -1 : (long)values.Order().ElementAt(values.Count / 2).TotalMilliseconds;
    private static long MaxMs(List<TimeSpan> values) => values.Count == 0 ? -1 : (long)values.Max().TotalMilliseconds;
    private static int Median(List<int> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>Where the flood connects; with a certificate, idle clients alternate between raw TCP and a finished
    /// TLS handshake, and slowloris clients trickle inside TLS.</summary>
    private sealed record FloodTarget(int Port, X509Certificate2? Certificate);

    /// <summary>Resident memory, descriptors and threads of the exporter, from its /proc entry.</summary>
    private sealed record Usage(long RssBytes, int Fds, int Threads)
    {
        public static Usage Of(int pid)
        {
            long rss = 0;
            int threads = 0;
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                    threads = int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
            return new Usage(rss, Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length, threads);
        }

        public static Usage Max(Usage a, Usage b) => new(Math.Max(a.RssBytes, b.RssBytes), Math.Max(a.Fds, b.Fds), Math.Max(a.Threads, b.Threads));

        public override string ToString() => $"RSS {RssBytes / (1024.0 * 1024):0.0} MiB, {Fds} fds, {Threads} threads";
    }

    /// <summary>The attacking clients. Each keeps one connection open; when the server closes it, it connects again.</summary>
    private sealed class Flood(FloodTarget target)
    {
        private readonly CancellationTokenSource _stop = new();
        private int _held, _connections, _cutOff;

        public int Held => Volatile.Read(ref _held);
        public int Connections => Volatile.Read(ref _connections);
        public int CutOff => Volatile.Read(ref _cutOff);

        /// <summary>A third of the idle clients send nothing at all; a third (with TLS: finish the handshake, then)
        /// send nothing; a third make one request to /-/healthy and keep the connection alive. Slowloris clients
        /// trickle header bytes (inside TLS when there is TLS).</summary>
        public Task RunAsync(int idle, int slowloris)
        {
            bool tls = target.Certificate is not null;
            return Task.WhenAll(Enumerable.Range(0, idle).Select(i => ClientAsync(i % 3 == 2 ? Mode.KeepAlive : Mode.Idle, tls: tls && i % 3 != 0))
                .Concat(Enumerable.Range(0, slowloris).Select(_ => ClientAsync(Mode.Slowloris, tls))));
        }

        public async Task WaitHeldAsync(int count, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (Held < count && clock.Elapsed < timeout)
                await Task.Delay(50);
        }

        public async Task StopAsync(Task clients)
        {
            _stop.Cancel();
            await clients;
        }

        private enum Mode { Idle, KeepAlive, Slowloris }

        private async Task ClientAsync(Mode mode, bool tls)
        {
            CancellationToken stop = _stop.Token;
            while (!stop.IsCancellationRequested)
            {
                using var tcp = new TcpClient();
                bool counted = false;
                try
                {
                    await tcp.ConnectAsync(IPAddress.Loopback, target.Port, stop);
                    Stream stream = tcp.GetStream();
                    if (tls)
                    {
                        var ssl = new SslStream(stream);
                        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                        {
                            TargetHost = "localhost",
                            RemoteCertificateValidationCallback = (_, _, _, _) => true,
                        }, stop);
                        stream = ssl;
                    }
                    Interlocked.Increment(ref _connections);
                    Interlocked.Increment(ref _held);
                    counted = true;
                    if (mode == Mode.Slowloris)
                        await TrickleAsync(stream, stop);
                    if (mode == Mode.KeepAlive)
                        await stream.WriteAsync("GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray(), stop);
                    // The answer, if any, and then nothing until the server closes the connection.
                    while (await stream.ReadAsync(new byte[4096], stop) > 0) { }
                    Interlocked.Increment(ref _cutOff);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException)
                {
                    if (counted) Interlocked.Increment(ref _cutOff);
                }
                finally
                {
                    if (counted) Interlocked.Decrement(ref _held);
                }
                // As a real attacker: connect again, but not in a busy loop.
                try { await Task.Delay(100, stop); }
                catch (OperationCanceledException) { return; }
            }
        }

        // A request line and headers that never end: one header byte a second.
        private static async Task TrickleAsync(Stream stream, CancellationToken stop)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "), stop);
            await stream.FlushAsync(stop);
            while (true)
            {
                await Task.Delay(1000, stop);
                await stream.WriteAsync("a"u8.ToArray(), stop);
                await stream.FlushAsync(stop);
            }
        }
    }
}
