using System.Diagnostics;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

[Trait("Category", "Integration")]
public sealed class LifecycleTests
{
    [Fact]
    public async Task Sigterm_DuringScrapes_ExitsCleanlyWithCode0()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        int port = ExporterProcess.FreePort();
        foreach (string a in new[] { RepoPaths.ExporterDll, $"--web.listen-address=127.0.0.1:{port}" }) info.ArgumentList.Add(a);
        using Process exporter = Process.Start(info)!;
        Task<string> stderr = exporter.StandardError.ReadToEndAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try { if ((await http.GetAsync($"http://127.0.0.1:{port}/metrics")).IsSuccessStatusCode) break; }
            catch (HttpRequestException) when (clock.Elapsed < TimeSpan.FromSeconds(30)) { await Task.Delay(100); }
            catch (TaskCanceledException) when (clock.Elapsed < TimeSpan.FromSeconds(30)) { }   // a slow first scrape on a busy machine
        }

        Task<HttpResponseMessage> inFlight = http.GetAsync($"http://127.0.0.1:{port}/metrics");
        ToolRunner.Run("kill", "-TERM", exporter.Id.ToString());
        Assert.True(exporter.WaitForExit(10_000), "exporter still running 10 s after SIGTERM");
        Assert.Equal(0, exporter.ExitCode);
        Assert.DoesNotContain("Unhandled exception", await stderr);
        try { await inFlight.WaitAsync(TimeSpan.FromSeconds(10)); } catch (HttpRequestException) { }   // answered or cut off: never hung
        Assert.True(inFlight.IsCompleted);
    }
}
