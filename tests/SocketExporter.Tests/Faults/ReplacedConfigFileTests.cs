using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Faults;

/// <summary>
/// Injected fault (issue 16, item 4): the --web.config.file replaced while the exporter reads it. The reloader looks at
/// the file every second and on SIGHUP; here a writer replaces it hundreds of times, alternating an atomic rename over
/// it with an in-place truncate-then-write that pauses halfway (the half cuts through the bcrypt hash, so that half is
/// a file that parses but must not be taken), while SIGHUPs force reads at random moments and a reader checks every
/// answer. Never a crash, never an open endpoint, never a lost user (the last good config is kept, and the failure
/// logged), and the last file, once whole, is the one in force. --config.file is read once at start, so it has no
/// reload to race. The exporter reads only its own network namespace: namespaces other tests make and delete on the
/// shared host would otherwise open and close the sampler's and the event listener's descriptors during the count.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ReplacedConfigFileTests : IDisposable
{
    private const int Replacements = 400;
    // Only the exporter-toolkit's headers can be configured; this one carries the generation as its value.
    private const string Generation = "Content-Security-Policy";
    private readonly string _dir = Directory.CreateTempSubdirectory("socket-exporter-replaced-config-").FullName;

    [Fact]
    public async Task WebConfigReplacedWhileRead_RenameOverAndTruncateThenWrite_LastGoodKeptNewTakenWhenWhole()
    {
        string hash = ToolRunner.Run("htpasswd", "-nbB", "-C", "4", "alice", "s3cret").Trim().Split(':', 2)[1];
        string config = Path.Combine(_dir, "web-config.yml"), staging = Path.Combine(_dir, "web-config.yml.tmp");
        // The generation header first and the user last: a file cut halfway holds a whole header and a cut hash.
        byte[] Version(string generation) => Encoding.UTF8.GetBytes(
            $"http_server_config:\n  headers:\n    Content-Security-Policy: \"{generation}\"\nbasic_auth_users:\n  alice: {hash}\n");
        File.WriteAllBytes(config, Version("0"));

        using ExporterProcess exporter = ExporterProcess.Start(["--web.config.file=" + config, "--netns.mode=own"],
            isReady: port => Get(port, "/-/ready", auth: true).StatusCode == HttpStatusCode.OK);
        using HttpClient http = Client(exporter.Port);
        int pid = exporter.Pid;
        for (int i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await Send(http, "/metrics", auth: true)).StatusCode);
        (int fdsBefore, int threadsBefore) = ExitingProcessesTests.Resources(pid);

        // One failure made certain: the file emptied (as a truncating writer leaves it) and read at once on SIGHUP.
        File.WriteAllBytes(config, []);
        Hangup(pid);
        Assert.True(exporter.WaitForStderr("cannot reload the web config", TimeSpan.FromSeconds(15)), exporter.Stderr);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(http, "/metrics", auth: false)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(http, "/metrics", auth: true)).StatusCode);

        // The race, many times over: a writer and a checker side by side.
        using var done = new CancellationTokenSource();
        int written = 0;
        Task writer = Task.Run(() =>
        {
            var random = new Random(16);
            for (int i = 1; i <= Replacements; i++)
            {
                byte[] bytes = Version(i.ToString(CultureInfo.InvariantCulture));
                if (i % 2 == 0)
                {
                    File.WriteAllBytes(staging, bytes);
                    File.Move(staging, config, overwrite: true);   // rename(2) over the file
                }
                else
                {
                    using var stream = new FileStream(config, FileMode.Truncate, FileAccess.Write);
                    int half = bytes.Length - hash.Length / 2 - 1;
                    stream.Write(bytes, 0, half);
                    stream.Flush();
                    Thread.Sleep(random.Next(0, 4));
                    stream.Write(bytes, half, bytes.Length - half);
                }
                if (i % 7 == 0)
                    Hangup(pid);
                Volatile.Write(ref written, i);
                Thread.Sleep(random.Next(0, 6));
            }
        });
        int checks = 0;
        var seen = new HashSet<string>();
        while (!writer.IsCompleted)
        {
            Assert.False(exporter.HasExited, exporter.Stderr);
            // Never open: whatever the file held at the last look, a request without credentials is refused.
            Assert.Equal(HttpStatusCode.Unauthorized, (await Send(http, "/metrics", auth: false)).StatusCode);
            // Never a lost user or a cut header: alice gets in, with a generation that was written whole.
            HttpResponseMessage answer = await Send(http, "/-/healthy", auth: true);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            string generation = Assert.Single(answer.Headers.GetValues(Generation));
            int number = int.Parse(generation, NumberStyles.None, CultureInfo.InvariantCulture);
            Assert.InRange(number, 0, Volatile.Read(ref written) + 1);
            seen.Add(generation);
            checks++;
        }
        await writer;

        // The last file, whole, is taken within a few looks, and the next scrape is complete.
        File.WriteAllBytes(staging, Version("final"));
        File.Move(staging, config, overwrite: true);
        var clock = Stopwatch.StartNew();
        HttpResponseMessage last;
        do
        {
            await Task.Delay(100);
            last = await Send(http, "/metrics", auth: true);
        }
        while (last.Headers.GetValues(Generation).Single() != "final" && clock.Elapsed < TimeSpan.FromSeconds(15));
        Assert.Equal("final", Assert.Single(last.Headers.GetValues(Generation)));
        string body = await last.Content.ReadAsStringAsync();
        Assert.Contains("socket_exporter_build_info{", body);
        Assert.True(seen.Count >= 3, $"the checker saw only generations {string.Join(",", seen)} in {checks} checks");

        (int fdsAfter, int threadsAfter) = await Settle(http, pid, fdsBefore, threadsBefore);
        Assert.True(fdsAfter <= fdsBefore, $"descriptors {fdsBefore} before, {fdsAfter} after {Replacements} replacements");
        // Idle thread-pool workers retire within about 20 s; a leak per SIGHUP or per reload would be dozens over.
        Assert.True(threadsAfter <= threadsBefore + 8, $"threads {threadsBefore} before, {threadsAfter} after {Replacements / 7} SIGHUPs");
        Console.WriteLine($"{Replacements} replacements, {checks} checks, {seen.Count} generations seen; " +
            $"fds {fdsBefore} -> {fdsAfter}, threads {threadsBefore} -> {threadsAfter}");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void Hangup(int pid) => ToolRunner.Run("kill", "-HUP", pid.ToString(CultureInfo.InvariantCulture));

    private static HttpClient Client(int port) =>
        new() { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };

    private static Task<HttpResponseMessage> Send(HttpClient http, string path, bool auth)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (auth)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret")));
        return http.SendAsync(request);
    }

    private static HttpResponseMessage Get(int port, string path, bool auth)
    {
        using HttpClient http = Client(port);
        return Send(http, path, auth).Result;   // AggregateException while not listening yet, as ExporterProcess expects
    }

    /// <summary>As <see cref="ExitingProcessesTests.Settle"/>, with credentials: keep-alive connections close and idle
    /// thread-pool workers retire, for up to 30 s.</summary>
    private static async Task<(int Fds, int Threads)> Settle(HttpClient http, int pid, int fdsBefore, int threadsBefore)
    {
        var clock = Stopwatch.StartNew();
        (int fds, int threads) = ExitingProcessesTests.Resources(pid);
        while ((fds > fdsBefore || threads > threadsBefore + 4) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(500);
            await Send(http, "/metrics", auth: true);
            (fds, threads) = ExitingProcessesTests.Resources(pid);
        }
        return (fds, threads);
    }
}
