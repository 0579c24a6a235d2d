using System.Globalization;
using System.Text.RegularExpressions;
using SocketExporter.Collectors;
using SocketExporter.Linux.Interop;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SocketExporter.Configuration;

/// <summary>
/// The optional YAML file (--config.file) for filters and limits. Flags given on the command line override it.
/// Every mistake is a <see cref="UsageException"/> naming the file, line and key. Read with YamlDotNet's node
/// model (no reflection), so the NativeAOT build stays warning-free.
/// </summary>
/// <example>
/// filters:
///   program: { include: "nginx|postgres", exclude: "" }
///   port: { include: "80,443,8000-8999" }
///   state: { exclude: [time_wait] }
///   netns: { exclude: "4026532.*" }
/// devices: { include: "/dev/(sd|nvme).*" }
/// limits: { max_series: 20000, drop_pid: true }
/// watch_paths: [/mnt/data]
/// listen: { sample_interval: 500ms }
/// expected_listeners:
///   - { ports: "22", program: sshd }
///   - { ports: "80,443,8000-8999", program: "nginx|envoy", protocol: tcp }
/// </example>
public static class ConfigFile
{
    /// <summary>A config of filters and limits is a few kilobytes; this only stops a wrong path from being read whole.</summary>
    public const int MaximumBytes = 1024 * 1024;

    public static ExporterOptions Apply(string path, ExporterOptions options)
    {
        if (path.Length == 0)
            throw new UsageException("--config.file must not be empty");
        // A regular file only, opened without blocking and read up to the cap: a FIFO hung start-up, /dev/zero
        // exhausted memory (issue 17).
        int errno = RegularFile.TryReadText(path, MaximumBytes, out string text, out _);
        if (errno != 0)
            throw new UsageException($"--config.file {path}: " + (errno == Errno.EFBIG
                ? $"larger than {MaximumBytes / 1024} KiB; not a configuration file" : Errno.Describe(errno)));
        YamlMappingNode root;
        try
        {
            YamlStream stream = DepthLimitedParser.Load(text);
            if (stream.Documents.Count == 0)
                return options;
            root = stream.Documents[0].RootNode as YamlMappingNode
                ?? throw Error(path, stream.Documents[0].RootNode, "the top level must be a mapping");
        }
        catch (YamlException e) { throw new UsageException($"{path}:{e.Start.Line}: {e.Message}"); }

        foreach ((YamlNode keyNode, YamlNode value) in root.Children)
        {
            string key = Scalar(path, keyNode, "key");
            options = key switch
            {
                "filters" => options with { Metrics = options.Metrics with { Filter = Filters(path, Mapping(path, value, key), options.Metrics.Filter) } },
                "devices" => options with { Devices = Devices(path, Mapping(path, value, key), options.Devices) },
                "limits" => Limits(path, Mapping(path, value, key), options),
                "watch_paths" => options with { WatchPaths = [.. options.WatchPaths, .. WatchPaths(path, value)] },
                "expected_listeners" => options with { ExpectedListeners = ExpectedListeners(path, value) },
                "listen" => Listen(path, Mapping(path, value, key), options),
                _ => throw Error(path, keyNode, $"unknown key '{key}' (known: filters, devices, limits, watch_paths, expected_listeners, listen)"),
            };
        }
        return options;
    }

    private static SeriesFilter Filters(string path, YamlMappingNode map, SeriesFilter filter)
    {
        foreach ((YamlNode keyNode, YamlNode value) in map.Children)
        {
            string what = Scalar(path, keyNode, "key");
            foreach ((YamlNode sideNode, YamlNode rule) in Mapping(path, value, "filters." + what).Children)
            {
                string side = Scalar(path, sideNode, "key");
                if (side is not ("include" or "exclude"))
                    throw Error(path, sideNode, $"filters.{what}: unknown key '{side}' (include or exclude)");
                bool include = side == "include";
                string name = $"filters.{what}.{side}";
                filter = what switch
                {
                    "program" => include ? filter with { ProgramInclude = Regex(path, rule, name) } : filter with { ProgramExclude = Regex(path, rule, name) },
                    "netns" => include ? filter with { NetnsInclude = Regex(path, rule, name) } : filter with { NetnsExclude = Regex(path, rule, name) },
                    "port" => include ? filter with { PortInclude = Ports(path, rule, name) } : filter with { PortExclude = Ports(path, rule, name) },
                    "state" => include ? filter with { StateInclude = States(path, rule, name) } : filter with { StateExclude = States(path, rule, name) },
                    _ => throw Error(path, keyNode, $"filters: unknown key '{what}' (program, port, state, netns)"),
                };
            }
        }
        return filter;
    }

    private static DeviceFilter Devices(string path, YamlMappingNode map, DeviceFilter devices)
    {
        foreach ((YamlNode keyNode, YamlNode value) in map.Children)
        {
            string key = Scalar(path, keyNode, "key");
            string pattern = Scalar(path, value, "devices." + key);
            Regex regex;
            try { regex = DeviceFilter.Compile(pattern); }
            catch (ArgumentException e) { throw Error(path, value, $"devices.{key}: not a valid regular expression: {e.Message}"); }
            devices = key switch
            {
                "include" => devices with { Include = regex },
                "exclude" => devices with { Exclude = regex },
                _ => throw Error(path, keyNode, $"devices: unknown key '{key}' (include or exclude)"),
            };
        }
        return devices;
    }

    private static ExporterOptions Limits(string path, YamlMappingNode map, ExporterOptions options)
    {
        foreach ((YamlNode keyNode, YamlNode value) in map.Children)
        {
            string key = Scalar(path, keyNode, "key");
            string text = Scalar(path, value, "limits." + key);
            options = key switch
            {
                "max_series" => options with { Metrics = options.Metrics with { MaxSeries = Positive() } },
                "max_unix_series" => options with { Metrics = options.Metrics with { MaxUnixSeries = Positive() } },
                "max_event_label_sets" => options with { Metrics = options.Metrics with { MaxEventLabelSets = Positive() } },
                "drop_pid" => text switch
                {
                    "true" => options with { Metrics = options.Metrics with { DroppedLabels = new HashSet<string> { "pid" } } },
                    "false" => options with { Metrics = options.Metrics with { DroppedLabels = new HashSet<string>() } },
                    _ => throw Error(path, value, $"limits.drop_pid must be true or false, not '{text}'"),
                },
                _ => throw Error(path, keyNode, $"limits: unknown key '{key}' (max_series, max_unix_series, max_event_label_sets, drop_pid)"),
            };

            int Positive() => PositiveCount.Parse(text) ?? throw Error(path, value, PositiveCount.Error("limits." + key, text));
        }
        return options;
    }

    /// <summary>listen.sample_interval mirrors --listen.sample-interval (same values, same bounds).</summary>
    private static ExporterOptions Listen(string path, YamlMappingNode map, ExporterOptions options)
    {
        foreach ((YamlNode keyNode, YamlNode value) in map.Children)
        {
            string key = Scalar(path, keyNode, "key");
            if (key != "sample_interval")
                throw Error(path, keyNode, $"listen: unknown key '{key}' (sample_interval)");
            string text = Scalar(path, value, "listen.sample_interval");
            options = CommandLine.TryParseSampleInterval(text, out TimeSpan interval, out string? problem)
                ? options with { ListenSampleInterval = interval }
                : throw Error(path, value, $"listen.sample_interval: {problem}");
        }
        return options;
    }

    private static List<string> WatchPaths(string path, YamlNode node)
    {
        if (node is not YamlSequenceNode list)
            throw Error(path, node, "watch_paths must be a list of absolute paths");
        var paths = new List<string>();
        foreach (YamlNode item in list)
        {
            string p = Scalar(path, item, "watch_paths");
            if (!p.StartsWith('/'))
                throw Error(path, item, $"watch_paths: '{p}' is not an absolute path");
            paths.Add(p);
        }
        return paths;
    }

    private static ListenerPolicy ExpectedListeners(string path, YamlNode node)
    {
        if (node is not YamlSequenceNode list)
            throw Error(path, node, "expected_listeners must be a list of entries, each with ports");
        var entries = new List<ExpectedListener>();
        for (int i = 0; i < list.Children.Count; i++)
        {
            YamlNode item = list.Children[i];
            string name = $"expected_listeners[{i}]";
            YamlMappingNode map = Mapping(path, item, name);
            PortRanges? ports = null;
            Regex? program = null, address = null, netns = null, protocol = null;
            foreach ((YamlNode keyNode, YamlNode value) in map.Children)
            {
                string key = Scalar(path, keyNode, "key");
                switch (key)
                {
                    case "ports": ports = Ports(path, value, $"{name}.ports"); break;
                    case "program": program = Regex(path, value, $"{name}.program"); break;
                    case "address": address = Regex(path, value, $"{name}.address"); break;
                    case "netns": netns = Regex(path, value, $"{name}.netns"); break;
                    case "protocol": protocol = Regex(path, value, $"{name}.protocol"); break;
                    default: throw Error(path, keyNode, $"{name}: unknown key '{key}' (ports, program, address, netns, protocol)");
                }
            }
            // Required, so an entry cannot silently expect every port of a program.
            entries.Add(new ExpectedListener(ports ?? throw Error(path, item, $"{name}: ports is required"), program, address, netns, protocol));
        }
        if (entries.Count == 0)
            throw Error(path, node, "expected_listeners is empty; leave the section out to judge no listener");
        return new ListenerPolicy(entries);
    }

    private static Regex Regex(string path, YamlNode node, string name)
    {
        string pattern = Scalar(path, node, name);
        try { return new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)); }
        catch (ArgumentException e) { throw Error(path, node, $"{name}: not a valid regular expression: {e.Message}"); }
    }

    private static PortRanges Ports(string path, YamlNode node, string name)
    {
        string text = Scalar(path, node, name);
        try { return PortRanges.Parse(text); }
        catch (FormatException e) { throw Error(path, node, $"{name}: {e.Message}"); }
    }

    private static HashSet<string> States(string path, YamlNode node, string name)
    {
        IEnumerable<YamlNode> items = node is YamlSequenceNode list ? list.Children : [node];
        var states = new HashSet<string>();
        foreach (YamlNode item in items)
        {
            string state = Scalar(path, item, name);
            if (!CommandLine.KnownStates.Contains(state))
                throw Error(path, item, $"{name}: '{state}' is not a state ({string.Join(", ", CommandLine.KnownStates)})");
            states.Add(state);
        }
        return states;
    }

    private static YamlMappingNode Mapping(string path, YamlNode node, string name) =>
        node as YamlMappingNode ?? throw Error(path, node, $"{name} must be a mapping");

    private static string Scalar(string path, YamlNode node, string name) =>
        node is YamlScalarNode { Value: { } value } ? value : throw Error(path, node, $"{name} must be a single value");

    private static UsageException Error(string path, YamlNode node, string message) =>
        new($"{path}:{node.Start.Line}: {message}");
}
