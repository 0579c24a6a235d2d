using System.Diagnostics;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Configuration;

/// <summary>
/// Issue 17: start-up files and flags that hung (a FIFO), exhausted memory (/dev/zero), overflowed the stack (YAML
/// nested 100,000 deep) or printed a stack trace. Each now ends the real exporter with a short message and a non-zero
/// exit. The exporter gets a generous minute: one still running then has hung, and is killed (by its pid) and fails.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StartupFileTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("socket-exporter-startup-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Prepare(string kind)
    {
        string path = Path.Combine(_dir, kind + ".yml");
        switch (kind)
        {
            case "fifo":
                ToolRunner.Run("mkfifo", path);
                break;
            case "devzero":
                File.CreateSymbolicLink(path, "/dev/zero");
                break;
            case "deepflow":   // 100,000 nested flow sequences: 100 KB
                File.WriteAllText(path, new string('[', 100_000));
                break;
            case "deepblock":  // 1,000 nested block mappings, each a line indented one more: ~500 KB
                using (var w = new StreamWriter(path))
                {
                    for (int i = 0; i < 1000; i++)
                        w.Write(new string(' ', i) + "a:\n");
                    w.Write(new string(' ', 1000) + "b\n");
                }
                break;
            default: throw new ArgumentException(kind);
        }
        return path;
    }

    private static (int Exit, string Stderr) Run(string arg)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(RepoPaths.ExporterDll);
        info.ArgumentList.Add($"--web.listen-address=127.0.0.1:{ExporterProcess.FreePort()}");
        info.ArgumentList.Add(arg);
        using Process p = Process.Start(info)!;
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        if (!p.WaitForExit(Generous))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail($"socket_exporter {arg} was still running after {Generous.TotalSeconds} s (hung); stderr: {stderr}");
        }
        p.WaitForExit();   // drains the asynchronous readers
        lock (stderr) return (p.ExitCode, stderr.ToString());
    }

    [Theory]
    [InlineData("--config.file", "fifo", "not a regular file")]
    [InlineData("--config.file", "devzero", "not a regular file")]
    [InlineData("--config.file", "deepflow", "nested more than 32 levels deep")]
    [InlineData("--config.file", "deepblock", "nested more than 32 levels deep")]
    [InlineData("--web.config.file", "fifo", "not a regular file")]
    [InlineData("--web.config.file", "devzero", "not a regular file")]
    [InlineData("--web.config.file", "deepflow", "nested more than 32 levels deep")]
    [InlineData("--web.config.file", "deepblock", "nested more than 32 levels deep")]
    public void Exporter_HostileStartupFile_ExitsWith2AndOneLine(string flag, string kind, string message)
    {
        string path = Prepare(kind);
        (int exit, string stderr) = Run($"{flag}={path}");
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        Assert.StartsWith("socket_exporter: error: ", stderr);
        Assert.Contains(path, stderr);
        Assert.Contains(message, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Theory]
    [InlineData("--web.telemetry-path=/m?x=1")]
    [InlineData("--config.file=")]
    public void Exporter_BadFlagThatUsedToThrow_ExitsWith2WithoutStackTrace(string arg)
    {
        (int exit, string stderr) = Run(arg);
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        Assert.StartsWith("socket_exporter: error: ", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void Exporter_BadListenSampleIntervalInConfigFile_ExitsWith2NamingFileLineAndKey()
    {
        string path = Path.Combine(_dir, "interval.yml");
        File.WriteAllText(path, "limits: { max_series: 100 }\nlisten:\n  sample_interval: often\n");
        (int exit, string stderr) = Run($"--config.file={path}");
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        Assert.StartsWith($"socket_exporter: error: {path}:3: listen.sample_interval: must be a duration", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void Exporter_AddressThisHostDoesNotHave_SaysCannotListenWithoutStackTrace()
    {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned, so bind(2) fails with EADDRNOTAVAIL.
        (int exit, string stderr) = Run("--web.listen-address=192.0.2.1:19990");
        Assert.NotEqual(0, exit);
        Assert.Contains("cannot listen on ", stderr);
        Assert.Contains("192.0.2.1:19990: Cannot assign requested address", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.True(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 2, stderr);
    }
}
