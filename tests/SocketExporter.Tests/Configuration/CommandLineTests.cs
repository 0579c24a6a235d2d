using System.Diagnostics;
using SocketExporter.Collectors;
using SocketExporter.Configuration;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Configuration;

[Trait("Category", "Unit")]
public sealed class CommandLineTests
{
    private static readonly string[] Collectors = CollectorList.All(DeviceFilter.Default).Select(c => c.Name).ToArray();

    [Theory]
    [InlineData("--bogus", "unknown flag --bogus")]
    [InlineData("extra", "unexpected argument 'extra'")]
    [InlineData("--web.listen-address", "--web.listen-address needs a value")]
    [InlineData("--web.listen-address=nohost", "needs a port")]
    [InlineData("--web.listen-address=127.0.0.1:70000", "port '70000'")]
    [InlineData("--web.listen-address=example.com:80", "is not an IP address")]
    [InlineData("--web.telemetry-path=metrics", "must start with /")]
    [InlineData("--web.telemetry-path=/", "must not be /")]
    [InlineData("--web.telemetry-path=/m?x=1", "'/m?x=1' has U+003F at 2")]   // issue 17: was an unhandled RoutePatternException
    [InlineData("--web.telemetry-path=/m#x", "must be a plain path")]
    [InlineData("--web.telemetry-path=/m x", "must be a plain path")]
    [InlineData("--web.telemetry-path=/m\tx", "must be a plain path")]
    [InlineData("--web.telemetry-path=/{anything}", "must be a plain path")]
    [InlineData("--config.file=", "--config.file must not be empty")]   // issue 17: was an unhandled ArgumentException
    [InlineData("--web.listen-address=[fe80::1%nosuch0]:9966", "no network interface 'nosuch0'")]
    [InlineData("--web.max-requests=-1", "--web.max-requests must be a whole number")]
    [InlineData("--web.max-requests=many", "--web.max-requests must be a whole number")]
    [InlineData("--scrape.walk-workers=0", "--scrape.walk-workers must be a whole number from 1 to 256")]
    [InlineData("--scrape.walk-workers=257", "--scrape.walk-workers must be a whole number from 1 to 256")]
    [InlineData("--scrape.walk-workers=two", "--scrape.walk-workers must be a whole number from 1 to 256")]
    [InlineData("--path.procfs=", "must not be empty")]
    [InlineData("--socket.source=magic", "--socket.source must be auto or procfs")]
    [InlineData("--log.level=loud", "--log.level must be one of")]
    [InlineData("--log.format=xml", "--log.format must be logfmt or json")]
    [InlineData("--collector.nope", "unknown collector in --collector.nope")]
    [InlineData("--no-collector.fds=1", "takes no value")]
    [InlineData("--collector.devices.exclude=(", "not a valid regular expression")]
    [InlineData("--metrics.max-series=-1", "--metrics.max-series must be a whole number")]
    [InlineData("--metrics.max-unix-series=0", "--metrics.max-unix-series must be a whole number")]
    [InlineData("--metrics.max-event-label-sets=0", "--metrics.max-event-label-sets must be a whole number")]
    [InlineData("--metrics.drop-pid=yes", "takes no value")]
    [InlineData("--filter.port.include=80-70", "not a port or a range")]
    [InlineData("--filter.state.include=listening", "'listening' is not a state")]
    [InlineData("--filter.program.exclude=[", "not a valid regular expression")]
    [InlineData("--netns.mode=some", "--netns.mode must be all or own")]
    [InlineData("--netns.method=magic", "--netns.method must be auto or procfs")]
    [InlineData("--watch.path=relative/dir", "must be an absolute path")]
    public void Parse_BadFlag_ThrowsUsageNamingTheFlag(string arg, string message)
    {
        UsageException e = Assert.Throws<UsageException>(() => CommandLine.Parse([arg], Collectors));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Parse_WalkWorkers_DefaultsToTheUsableCoresCappedAndTakesAGivenNumber()
    {
        Assert.Equal(Math.Min(Environment.ProcessorCount, 4), CommandLine.Parse([], Collectors).WalkWorkers);
        Assert.Equal(3, CommandLine.Parse(["--scrape.walk-workers=3"], Collectors).WalkWorkers);
        Assert.Equal(1, CommandLine.Parse(["--scrape.walk-workers", "1"], Collectors).WalkWorkers);
    }

    [Fact]
    public void Parse_Defaults_ListenOnAllInterfacesPort9966WithEveryCollectorButTcpTraffic()
    {
        ExporterOptions o = CommandLine.Parse([], Collectors);
        Assert.Equal("[::]:9966", Assert.Single(o.ListenAddresses).ToString());
        Assert.Equal(("/metrics", "/proc"), (o.TelemetryPath, o.ProcfsPath));
        Assert.Equal(["tcp_traffic"], o.DisabledCollectors);   // tcp_info in every dump: asked for (README, "Live and closed")
        Assert.True(Collectors.Length >= 8);
    }

    [Fact]
    public void Parse_RepeatedAndToggledFlags_AllApply()
    {
        ExporterOptions o = CommandLine.Parse(["--web.listen-address=127.0.0.1:1", "--web.listen-address", "[::1]:2",
            "--no-collector.fds", "--no-collector.devices", "--collector.devices", "--filter.port.include=80,8000-8999",
            "--metrics.drop-pid", "--watch.path=/mnt", "--watch.path=/srv", "--collector.tcp_traffic"], Collectors);
        Assert.Equal(["127.0.0.1:1", "[::1]:2"], o.ListenAddresses.Select(e => e.ToString()));
        Assert.Equal(["fds"], o.DisabledCollectors);
        Assert.True(o.Metrics.Filter.PortInclude!.Contains(8080));
        Assert.False(o.Metrics.Filter.PortInclude!.Contains(9000));
        Assert.Contains("pid", o.Metrics.DroppedLabels);
        Assert.Equal(["/mnt", "/srv"], o.WatchPaths);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--log.level=loud")]
    [InlineData("--filter.port.include=x")]
    public void Exporter_BadFlag_ExitsWith2AndAMessageNoStackTrace(string arg)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(RepoPaths.ExporterDll);
        info.ArgumentList.Add(arg);
        using Process p = Process.Start(info)!;
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(2, p.ExitCode);
        Assert.StartsWith("socket_exporter: error: ", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void Exporter_Help_ListsEveryCollectorAndExits0()
    {
        string help = ToolRunner.Run("dotnet", RepoPaths.ExporterDll, "--help");
        Assert.All(Collectors, c => Assert.Contains(c, help));
        Assert.Contains("--web.listen-address", help);
    }
}
