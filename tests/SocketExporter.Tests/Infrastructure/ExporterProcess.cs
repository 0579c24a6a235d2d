using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SocketExporter.Tests.Infrastructure;

/// <summary>The real exporter in its own process, listening on a free loopback port; scraped over real HTTP.</summary>
public sealed class ExporterProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    private ExporterProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
    }

    /// <param name="command">The program and leading arguments; defaults to `dotnet socket_exporter.dll`.</param>
    /// <param name="isReady">Given the port, whether the exporter answers; defaults to a 200 from /-/ready over plain
    /// HTTP without credentials (which TLS or basic auth refuse).</param>
    public static ExporterProcess Start(IEnumerable<string>? extraArgs = null, IReadOnlyList<string>? command = null,
        Func<int, bool>? isReady = null)
    {
        command ??= ["dotnet", RepoPaths.ExporterDll];
        List<string> extra = [.. extraArgs ?? []];
        for (int attempt = 1; ; attempt++)
        {
            int port = FreePort();
            var info = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string a in command.Skip(1)) info.ArgumentList.Add(a);
            info.ArgumentList.Add($"--web.listen-address=127.0.0.1:{port}");
            foreach (string a in extra) info.ArgumentList.Add(a);
            Process process = Process.Start(info) ?? throw new InvalidOperationException("exporter did not start");
            var exporter = new ExporterProcess(process, port);
            try
            {
                exporter.WaitReady(isReady);
                return exporter;
            }
            // The probed port is free when probed, not necessarily when the exporter binds it: another process on
            // the host may take it in between. Only that case is retried.
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use"))
            {
                exporter.Dispose();
            }
        }
    }

    /// <summary>Waits for a line the exporter logs: stderr arrives through an asynchronous reader, later than the
    /// response of the scrape that logged it.</summary>
    public bool WaitForStderr(string text, TimeSpan timeout) => WaitForText(() => Stderr, text, timeout);

    /// <summary>Whether <paramref name="text"/> shows up in what <paramref name="read"/> returns within <paramref name="timeout"/>.</summary>
    public static bool WaitForText(Func<string> read, string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!read().Contains(text, StringComparison.Ordinal))
        {
            if (clock.Elapsed > timeout) return false;
            Thread.Sleep(20);
        }
        return true;
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private void WaitReady(Func<int, bool>? isReady)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process.HasExited)
            {
                _process.WaitForExit();   // without a timeout it also waits for the stderr reader to reach the end
                throw new InvalidOperationException($"exporter exited with {_process.ExitCode}: {Stderr}");
            }
            try
            {
                if (isReady is not null ? isReady(Port) : http.GetAsync(BaseUrl + "/-/ready").Result.IsSuccessStatusCode)
                    return;
            }
            catch (AggregateException) { }
            Thread.Sleep(100);
        }
        throw new TimeoutException("exporter not ready within 30 s: " + Stderr);
    }

    public string Scrape(string path = "/metrics")
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        HttpResponseMessage response = http.GetAsync(BaseUrl + path).Result;
        string body = response.Content.ReadAsStringAsync().Result;
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {body}");
        return body;
    }

    public MetricSet ScrapeMetrics() => MetricSet.Parse(Scrape());

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // The whole tree: where the command is a wrapper that forks (unshare --fork), killing the wrapper alone
            // left the exporter running, since setpriv's change of uid clears the parent-death signal that
            // unshare --kill-child relies on (a CI run left one behind as nobody, pid 1 of its own PID namespace).
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }
}
