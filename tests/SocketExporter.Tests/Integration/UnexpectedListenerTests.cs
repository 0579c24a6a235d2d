using System.Diagnostics;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// expected_listeners against real listeners: the holder's shared_port is expected (by port, program and protocol),
/// its backlog_port is not. Only the holder's own ports are asserted on: the host's other listeners are whatever they are.
/// </summary>
[Trait("Category", "Integration")]
public sealed class UnexpectedListenerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("socket-exporter-unexpected-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Policy_ExpectingTheFirstPort_FlagsOnlyTheSecond()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        string first = holder.Int("shared_port").ToString(), second = holder.Int("backlog_port").ToString();
        string config = Path.Combine(_dir, "config.yml");
        File.WriteAllText(config, $"expected_listeners:\n  - {{ ports: \"{first}\", program: python3, protocol: tcp, address: \"127\\\\.0\\\\.0\\\\.1\" }}\n");
        using ExporterProcess exporter = ExporterProcess.Start(["--config.file=" + config]);
        MetricSet metrics = exporter.ScrapeMetrics();

        var unexpected = metrics.Named("socket_listening_unexpected").Where(s => s["netns"] == "host").ToList();
        // A series per holder: the holder and the child it forked both hold its sockets.
        Sample flagged = Assert.Single(unexpected, s => s["port"] == second && s["pid"] == holder.Pid.ToString());
        Assert.Equal(1, flagged.Value);
        Assert.Equal(("tcp", "ipv4", "127.0.0.1", "python3"), (flagged["protocol"], flagged["family"], flagged["address"], flagged["program"]));
        Sample child = Assert.Single(unexpected, s => s["port"] == second && s["pid"] == holder.Int("child_pid").ToString());
        Assert.Equal(1, child.Value);
        Assert.DoesNotContain(unexpected, s => s["port"] == first);
        // Both are listeners the exporter sees: the difference is the policy, not the socket table.
        Assert.Contains(metrics.Named("socket_listening"), s => s["port"] == first && s["netns"] == "host");
    }

    [Fact]
    public void NoPolicy_NoSeriesForAnyone()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        using ExporterProcess exporter = ExporterProcess.Start();
        MetricSet metrics = exporter.ScrapeMetrics();
        Assert.Contains(metrics.Named("socket_listening"), s => s["port"] == holder.Int("backlog_port").ToString());
        Assert.Empty(metrics.Named("socket_listening_unexpected"));
    }

    [Theory]
    [InlineData("expected_listeners:\n  - { ports: \"22\", program: \"[a-\" }\n", 2, "expected_listeners[0].program: not a valid regular expression")]
    [InlineData("expected_listeners:\n  - ports: \"22\"\n  - ports: \"80-22\"\n", 3, "expected_listeners[1].ports")]
    [InlineData("limits: { max_series: 100 }\nexpected_listeners:\n  - ports: \"22\"\n    owner: root\n", 4, "unknown key 'owner'")]
    public async Task MalformedPolicy_RefusedAtStart_WithFileLineAndExit2(string yaml, int line, string message)
    {
        string config = Path.Combine(_dir, "bad.yml");
        File.WriteAllText(config, yaml);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(RepoPaths.ExporterDll);
        info.ArgumentList.Add($"--web.listen-address=127.0.0.1:{ExporterProcess.FreePort()}");
        info.ArgumentList.Add("--config.file=" + config);
        using Process p = Process.Start(info)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail("the exporter started with a malformed expected_listeners (still running after 60 s)");
        }
        string text = await stderr;
        Assert.True(p.ExitCode == 2, $"exit {p.ExitCode}: {text}");
        Assert.StartsWith($"socket_exporter: error: {config}:{line}: ", text);
        Assert.Contains(message, text);
        Assert.DoesNotContain("   at ", text);
    }
}
