using SocketExporter.Collectors;
using SocketExporter.Configuration;

namespace SocketExporter.Tests.Configuration;

[Trait("Category", "Unit")]
public sealed class ConfigFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("socket-exporter-config-").FullName;
    private static readonly string[] Collectors = CollectorList.All(DeviceFilter.Default).Select(c => c.Name).ToArray();

    private string Write(string yaml)
    {
        string path = Path.Combine(_dir, "config.yml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Theory]
    [InlineData("bogus: 1\n", 1, "unknown key 'bogus'")]
    [InlineData("limits:\n  max_series: lots\n", 2, "limits.max_series must be a whole number")]
    [InlineData("limits:\n  drop_pid: maybe\n", 2, "limits.drop_pid must be true or false")]
    [InlineData("limits:\n  speed: 3\n", 2, "unknown key 'speed'")]
    [InlineData("filters:\n  program:\n    include: \"(\"\n", 3, "filters.program.include: not a valid regular expression")]
    [InlineData("filters:\n  port:\n    exclude: 99999\n", 3, "filters.port.exclude")]
    [InlineData("filters:\n  state:\n    exclude: [time_wait, sleeping]\n", 3, "'sleeping' is not a state")]
    [InlineData("filters:\n  colour:\n    include: red\n", 2, "unknown key 'colour'")]
    [InlineData("filters:\n  program:\n    only: x\n", 3, "unknown key 'only'")]
    [InlineData("filters: [1, 2]\n", 1, "filters must be a mapping")]
    [InlineData("devices:\n  exclude: \"[\"\n", 2, "devices.exclude: not a valid regular expression")]
    [InlineData("watch_paths: /mnt\n", 1, "watch_paths must be a list")]
    [InlineData("watch_paths: [relative]\n", 1, "'relative' is not an absolute path")]
    [InlineData("listen:\n  sample_interval: fast\n", 2, "listen.sample_interval: must be a duration")]
    [InlineData("listen:\n  sample_interval: 1ms\n", 2, "listen.sample_interval: must be 0 (off) or between 10ms and 1h")]
    [InlineData("listen:\n  rate: 1s\n", 2, "listen: unknown key 'rate'")]
    [InlineData("listen: 1s\n", 1, "listen must be a mapping")]
    [InlineData("limits: {max_series: 10\n", 1, "")]        // broken YAML: the parser's own message, with the line
    [InlineData("- just\n- a list\n", 1, "the top level must be a mapping")]
    // Found by scripts/fuzz.sh (config-file): YamlDotNet 18.1.0 threw InvalidOperationException, not a YamlException,
    // for an unclosed flow collection followed by a plain scalar at column 0; start-up died with a stack trace.
    [InlineData("limits: {\ns", 1, "the YAML parser failed")]
    [InlineData(": {\ns", 1, "the YAML parser failed")]
    [InlineData(" : e", 2, "the YAML parser failed")]   // ArgumentException from the node loader, marked at the stream's end
    [InlineData("limits: !!+7", 1, "the YAML parser failed")]   // ArgumentException: a tag that is not a URI
    public void Parse_BadConfigFile_NamesFileLineAndKey(string yaml, int line, string message)
    {
        string path = Write(yaml);
        UsageException e = Assert.Throws<UsageException>(() => CommandLine.Parse(["--config.file=" + path], Collectors));
        Assert.StartsWith($"{path}:", e.Message);
        Assert.Contains(message, e.Message);
        if (message.Length > 0)
            Assert.StartsWith($"{path}:{line}:", e.Message);
    }

    [Theory]
    [InlineData("listen: { sample_interval: 250ms }\n", new string[0], 250)]
    [InlineData("listen: { sample_interval: 0 }\n", new string[0], 0)]
    [InlineData("listen: { sample_interval: 250ms }\n", new[] { "--listen.sample-interval=2s" }, 2000)]   // the flag wins
    [InlineData("limits: { max_series: 5 }\n", new string[0], 1000)]                                     // absent: the default
    public void Parse_ListenSampleInterval_MirrorsTheFlag(string yaml, string[] flags, int milliseconds)
    {
        string path = Write(yaml);
        ExporterOptions o = CommandLine.Parse([.. flags, "--config.file=" + path], Collectors);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), o.ListenSampleInterval);
    }

    [Fact]
    public void Parse_MissingConfigFile_NamesTheFile()
    {
        string path = Path.Combine(_dir, "absent.yml");
        UsageException e = Assert.Throws<UsageException>(() => CommandLine.Parse(["--config.file", path], Collectors));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Parse_ValidConfig_AppliesAndFlagsOverride()
    {
        string path = Write("""
            filters:
              program: { include: "nginx|postgres" }
              port: { exclude: "22" }
              state: { exclude: [time_wait] }
            devices: { include: "/dev/sd.*" }
            limits: { max_series: 1234, max_unix_series: 321, max_event_label_sets: 77, drop_pid: true }
            watch_paths: [/mnt/data]
            """);
        ExporterOptions o = CommandLine.Parse(["--metrics.max-series=99", "--config.file=" + path, "--watch.path=/srv"], Collectors);
        Assert.Equal(99, o.Metrics.MaxSeries);                       // the flag wins
        Assert.Equal(321, o.Metrics.MaxUnixSeries);
        Assert.Equal(77, o.Metrics.MaxEventLabelSets);
        Assert.Contains("pid", o.Metrics.DroppedLabels);
        Assert.Matches(o.Metrics.Filter.ProgramInclude!, "nginx");
        Assert.DoesNotMatch(o.Metrics.Filter.ProgramInclude!, "nginx-helper");   // anchored
        Assert.True(o.Metrics.Filter.PortExclude!.Contains(22));
        Assert.Contains("time_wait", o.Metrics.Filter.StateExclude!);
        Assert.True(o.Devices.Reports("/dev/sda"));
        Assert.False(o.Devices.Reports("/dev/nvme0n1"));
        Assert.Equal(["/mnt/data", "/srv"], o.WatchPaths);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
