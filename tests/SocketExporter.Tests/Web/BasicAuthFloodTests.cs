using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using SocketExporter.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SocketExporter.Tests.Web;

/// <summary>A flood of wrong passwords against the real exporter must not hold up Prometheus's first scrape.</summary>
[Trait("Category", "Integration")]
public sealed class BasicAuthFloodTests(ITestOutputHelper output) : IDisposable
{
    private const int FloodRequests = 50;
    private readonly string _dir = Directory.CreateTempSubdirectory("socket-exporter-auth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task WrongPasswordFlood_FromAnotherAddress_ValidFirstRequestTakesAboutOneBcrypt()
    {
        // Cost 12 (~250 ms here): bcrypt must dominate the noise of a busy host's connection handling for the ratio to mean anything.
        string hash = ToolRunner.Run("htpasswd", "-nbB", "-C", "12", "prometheus", "s3cret").Trim().Split(':', 2)[1];
        string config = Path.Combine(_dir, "web-config.yml");
        File.WriteAllText(config, $"basic_auth_users:\n  prometheus: '{hash}'\n");
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        using ExporterProcess exporter = ExporterProcess.Start([$"--web.config.file={config}"], isReady: port =>
        {
            try
            {
                return probe.GetAsync($"http://127.0.0.1:{port}/-/ready").GetAwaiter().GetResult().StatusCode == HttpStatusCode.Unauthorized;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        });
        // Prometheus from 127.0.0.1, the attacker from 127.0.0.2 (all of 127/8 is loopback).
        using HttpClient prometheus = ClientFrom(IPAddress.Loopback, exporter.Port);
        using HttpClient attacker = ClientFrom(IPAddress.Parse("127.0.0.2"), exporter.Port);

        // Reference, same run: one verification that bcrypt must do (a password not seen before), with nothing queued.
        var single = new List<TimeSpan>();
        for (int i = 0; i < 3; i++)
        {
            (HttpStatusCode status, TimeSpan took) = await TimedGet(prometheus, "/-/healthy", "prometheus", $"reference-{i}");
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            single.Add(took);
        }
        TimeSpan oneBcrypt = single.Order().ElementAt(1);

        var flood = Enumerable.Range(0, FloodRequests).Select(i => TimedGet(attacker, "/-/healthy", "prometheus", $"guess-{i}")).ToList();
        // Once a wrong password has been through bcrypt, the rest of the flood is queued (or refused) behind it.
        var pending = new List<Task<(HttpStatusCode Status, TimeSpan Took)>>(flood);
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            if (done.Result.Status == HttpStatusCode.Unauthorized)
                break;
        }
        // The probe path: what is timed is authentication, not a collection.
        (HttpStatusCode valid, TimeSpan validTook) = await TimedGet(prometheus, "/-/healthy", "prometheus", "s3cret");
        var floodResults = await Task.WhenAll(flood);
        (HttpStatusCode scrape, _) = await TimedGet(prometheus, "/metrics", "prometheus", "s3cret");

        int unauthorized = floodResults.Count(r => r.Status == HttpStatusCode.Unauthorized);
        int busy = floodResults.Count(r => r.Status == (HttpStatusCode)429);
        output.WriteLine($"one bcrypt (median of 3, same run): {oneBcrypt.TotalMilliseconds:0} ms; valid first request behind {FloodRequests} wrong passwords: "
            + $"{validTook.TotalMilliseconds:0} ms (ratio {validTook / oneBcrypt:0.0}); flood answered 401 x{unauthorized}, 429 x{busy}");
        Assert.Equal(HttpStatusCode.OK, valid);
        Assert.Equal(HttpStatusCode.OK, scrape);
        Assert.Equal(FloodRequests, unauthorized + busy);
        // At most the verification in progress, then its own; the flood's queue would be 9x or more (50x unbounded).
        Assert.True(validTook < 4 * oneBcrypt,
            $"valid scrape took {validTook.TotalMilliseconds:0} ms behind the flood; one bcrypt {oneBcrypt.TotalMilliseconds:0} ms");
        Assert.True(busy > 0, "the attacker's queue was not bounded");
    }

    private static HttpClient ClientFrom(IPAddress local, int port)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            MaxConnectionsPerServer = 200,
            ConnectCallback = async (context, cancel) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(IPAddress.Loopback, port, cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(120) };
    }

    private static async Task<(HttpStatusCode Status, TimeSpan Took)> TimedGet(HttpClient http, string path, string user, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        var clock = Stopwatch.StartNew();
        using HttpResponseMessage response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        return (response.StatusCode, clock.Elapsed);
    }
}
