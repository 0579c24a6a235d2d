using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using SocketExporter.Collectors;

namespace SocketExporter.Configuration;

/// <summary>A flag or value that cannot be used: the exporter prints the message and exits with code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Parses node_exporter-style flags: --name=value or --name value, --collector.NAME / --no-collector.NAME.
/// Unknown flags and bad values throw <see cref="UsageException"/> naming the flag.
/// </summary>
public static class CommandLine
{
    public static string Usage(IEnumerable<string> collectorNames) => $"""
        usage: socket_exporter [<flags>]

        Prometheus exporter answering "which process uses this port, this socket, this device?"

        Flags:
          --help                       Show this help and exit.
          --version                    Show the version and exit.
          --config.file=PATH           YAML file with filters, devices, limits and watch_paths (flags override it).
          --web.listen-address=":{ExporterOptions.DefaultPort}"
                                       Address to listen on (host:port, [v6]:port or :port). Repeatable.
          --web.telemetry-path="/metrics"
                                       Path under which to expose metrics.
          --web.config.file=PATH       exporter-toolkit web config (TLS, basic auth, headers), as node_exporter takes.
          --web.max-requests={Web.RequestLimit.Default}        Requests to /metrics and / served at once; more are answered 503 (0: no limit).
          --web.search-timeout=10s     How long the landing page's search box (/?who=TARGET) may read: 500ms, 10s, 1m.
          --path.procfs="/proc"        procfs mount point (e.g. /host/proc in a container).
          --socket.source=auto         auto: sock_diag netlink, falling back to /proc/net per table; procfs: /proc/net only.
          --netns.mode=all             all: every network namespace under the proc root (and /run/netns); own: the exporter's only.
          --netns.method=auto          auto: setns + sock_diag into each namespace (CAP_SYS_ADMIN), falling back to
                                       /proc/PID/net; procfs: /proc/PID/net only (no CAP_SYS_ADMIN needed).
          --listen.sample-interval=1s  How often to sample the listening TCP table between scrapes (own network namespace)
                                       for socket_listen_queue_peak and listener churn: 500ms, 1s, 2.5s; 0 turns it off.
          --scrape.walk-workers=N      Threads reading /proc/PID/fd during a scrape (default: the CPUs the exporter may
                                       use, at most {Linux.Reading.SnapshotOptions.MaxDefaultWalkWorkers}; this host: {Linux.Reading.SnapshotOptions.DefaultWalkWorkers}).
          --watch.path=PATH            Report processes keeping PATH's filesystem busy (fuser -vm). Repeatable.
          --filter.program.include=RE / --filter.program.exclude=RE
                                       Keep / drop series by program (anchored regex).
          --filter.port.include=PORTS / --filter.port.exclude=PORTS
                                       Keep / drop series by port, e.g. 80,443,8000-8999.
          --filter.state.include=S,… / --filter.state.exclude=S,…
                                       Keep / drop connection series by state, e.g. time_wait.
          --filter.netns.include=RE / --filter.netns.exclude=RE
                                       Keep / drop series by network namespace ("host" or an inode).
          --metrics.max-series={MetricOptions.DefaultMaxSeries}
                                       Series per scrape past which the rest fold into "overflow" series
                                       (counted in socket_exporter_series_dropped).
          --metrics.max-event-label-sets={MetricOptions.DefaultMaxEventLabelSets}
                                       Label sets the between-scrapes counters keep (socket_connections_closed_*,
                                       socket_connect_failures_total); past it, new ones count under "overflow".
          --metrics.max-unix-series={SeriesBudget.DefaultUnixPathLimit}
                                       A separate limit, per metric, for series named by a unix socket path (unix
                                       listeners, their queues, unix connections), which any user can create by
                                       the thousand; past it, the uids with the most unix listeners fold first.
          --metrics.drop-pid           Leave the pid label out; series are summed per program.
          --collector.devices.include=".*"
                                       Regex of device paths to report in socket_device_fds.
          --collector.devices.exclude="{DeviceFilter.DefaultExcludePattern}"
                                       Regex of device paths to leave out (devices every process holds).
          --log.level=info             One of: debug, info, warn, error.
          --log.format=logfmt          One of: logfmt, json.
          --[no-]collector.NAME        Enable or disable a collector. Collectors (enabled by default but
                                       {string.Join(", ", CollectorList.OffByDefault)}): {string.Join(", ", collectorNames)}
        """;

    /// <summary>Each walker keeps its own buffers (about 40 KiB, more for a large fd table); past the cores, more only wait.</summary>
    private const int MaxWalkWorkers = 256;

    public static ExporterOptions Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> collectorNames)
    {
        var listen = new List<IPEndPoint>();
        var disabled = new HashSet<string>(CollectorList.OffByDefault.Where(collectorNames.Contains));
        var watches = new List<string>();
        var options = new ExporterOptions();
        // The config file is read first, wherever its flag stands: flags override what it sets.
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--config.file" && i + 1 < args.Count)
                options = ConfigFile.Apply(args[i + 1], options);
            else if (args[i].StartsWith("--config.file=", StringComparison.Ordinal))
                options = ConfigFile.Apply(args[i]["--config.file=".Length..], options);
        }
        watches.AddRange(options.WatchPaths);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new UsageException($"unexpected argument '{arg}'; flags start with --");
            int eq = arg.IndexOf('=');
            string name = eq < 0 ? arg[2..] : arg[2..eq];
            string? inline = eq < 0 ? null : arg[(eq + 1)..];

            if (name is "collector.devices.include" or "collector.devices.exclude")
            {
                string pattern = Value();
                System.Text.RegularExpressions.Regex regex;
                try
                {
                    regex = DeviceFilter.Compile(pattern);
                }
                catch (ArgumentException e)
                {
                    throw new UsageException($"--{name}: '{pattern}' is not a valid regular expression: {e.Message}");
                }
                options = options with
                {
                    Devices = name.EndsWith("include", StringComparison.Ordinal)
                        ? options.Devices with { Include = regex }
                        : options.Devices with { Exclude = regex },
                };
                continue;
            }

            if (name.StartsWith("collector.", StringComparison.Ordinal) || name.StartsWith("no-collector.", StringComparison.Ordinal))
            {
                bool enable = name[0] != 'n';
                string collector = name[(name.IndexOf('.') + 1)..];
                if (!collectorNames.Contains(collector))
                    throw new UsageException($"unknown collector in --{name}; collectors: {string.Join(", ", collectorNames)}");
                if (inline is not null)
                    throw new UsageException($"--{name} takes no value");
                if (enable) disabled.Remove(collector); else disabled.Add(collector);
                continue;
            }

            switch (name)
            {
                case "help": options = options with { ShowHelp = true }; break;
                case "config.file": Value(); break;   // read above
                case "version": options = options with { ShowVersion = true }; break;
                case "web.listen-address": listen.Add(ParseListenAddress(Value())); break;
                case "web.telemetry-path":
                    options = options with { TelemetryPath = TelemetryPath(Value()) };
                    break;
                case "web.config.file":
                    string webConfig = Value();
                    if (webConfig.Length == 0) throw new UsageException("--web.config.file must not be empty");
                    options = options with { WebConfigFile = webConfig };
                    break;
                case "web.max-requests":
                    string maxRequests = Value();
                    if (!int.TryParse(maxRequests, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int inFlight))
                        throw new UsageException($"--web.max-requests must be a whole number (0: no limit), not '{maxRequests}'");
                    options = options with { MaxRequests = inFlight };
                    break;
                case "path.procfs":
                    string procfs = Value();
                    if (procfs.Length == 0) throw new UsageException("--path.procfs must not be empty");
                    options = options with { ProcfsPath = procfs };
                    break;
                case "socket.source":
                    options = options with
                    {
                        ProcNetOnly = Value() switch
                        {
                            "auto" => false,
                            "procfs" => true,
                            var v => throw new UsageException($"--socket.source must be auto or procfs, not '{v}'"),
                        },
                    };
                    break;
                case "netns.mode":
                    options = options with
                    {
                        AllNamespaces = Value() switch
                        {
                            "all" => true,
                            "own" => false,
                            var v => throw new UsageException($"--netns.mode must be all or own, not '{v}'"),
                        },
                    };
                    break;
                case "netns.method":
                    options = options with
                    {
                        UseSetns = Value() switch
                        {
                            "auto" => true,
                            "procfs" => false,
                            var v => throw new UsageException($"--netns.method must be auto or procfs, not '{v}'"),
                        },
                    };
                    break;
                case "filter.program.include" or "filter.program.exclude" or "filter.netns.include" or "filter.netns.exclude":
                    Regex anchored = AnchoredRegex(name, Value());
                    SeriesFilter f = options.Metrics.Filter;
                    f = name switch
                    {
                        "filter.program.include" => f with { ProgramInclude = anchored },
                        "filter.program.exclude" => f with { ProgramExclude = anchored },
                        "filter.netns.include" => f with { NetnsInclude = anchored },
                        _ => f with { NetnsExclude = anchored },
                    };
                    options = options with { Metrics = options.Metrics with { Filter = f } };
                    break;
                case "filter.port.include" or "filter.port.exclude":
                    string ports = Value();
                    PortRanges ranges;
                    try { ranges = PortRanges.Parse(ports); }
                    catch (FormatException e) { throw new UsageException($"--{name}: {e.Message}"); }
                    options = options with
                    {
                        Metrics = options.Metrics with
                        {
                            Filter = name.EndsWith("include", StringComparison.Ordinal)
                                ? options.Metrics.Filter with { PortInclude = ranges }
                                : options.Metrics.Filter with { PortExclude = ranges },
                        },
                    };
                    break;
                case "filter.state.include" or "filter.state.exclude":
                    var states = Value().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
                    string? unknown = states.FirstOrDefault(st => !KnownStates.Contains(st));
                    if (states.Count == 0 || unknown is not null)
                        throw new UsageException($"--{name}: '{unknown}' is not a state; states: {string.Join(", ", KnownStates)}");
                    options = options with
                    {
                        Metrics = options.Metrics with
                        {
                            Filter = name.EndsWith("include", StringComparison.Ordinal)
                                ? options.Metrics.Filter with { StateInclude = states }
                                : options.Metrics.Filter with { StateExclude = states },
                        },
                    };
                    break;
                case "watch.path":
                    string watch = Value();
                    if (!watch.StartsWith('/'))
                        throw new UsageException($"--watch.path must be an absolute path, not '{watch}'");
                    watches.Add(watch);
                    break;
                case "metrics.max-series":
                    options = options with { Metrics = options.Metrics with { MaxSeries = Positive() } };
                    break;
                case "metrics.max-event-label-sets":
                    options = options with { Metrics = options.Metrics with { MaxEventLabelSets = Positive() } };
                    break;
                case "metrics.max-unix-series":
                    options = options with { Metrics = options.Metrics with { MaxUnixSeries = Positive() } };
                    break;
                case "scrape.walk-workers":
                    string walkers = Value();
                    if (!int.TryParse(walkers, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int walkWorkers)
                        || walkWorkers is < 1 or > MaxWalkWorkers)
                        throw new UsageException($"--scrape.walk-workers must be a whole number from 1 to {MaxWalkWorkers}, not '{walkers}'");
                    options = options with { WalkWorkers = walkWorkers };
                    break;
                case "web.search-timeout":
                    string searchTimeout = Value();
                    if (!Who.WhoCommand.TryParseTimeout(searchTimeout, out TimeSpan search))
                        throw new UsageException($"--web.search-timeout must be a duration such as 500ms, 10s or 1m, not '{searchTimeout}'");
                    options = options with { SearchTimeout = search };
                    break;
                case "listen.sample-interval":
                    options = options with { ListenSampleInterval = SampleInterval(Value()) };
                    break;
                case "metrics.drop-pid":
                    if (inline is not null) throw new UsageException("--metrics.drop-pid takes no value");
                    options = options with { Metrics = options.Metrics with { DroppedLabels = new HashSet<string> { "pid" } } };
                    break;
                case "log.level":
                    options = options with
                    {
                        LogLevel = Value() switch
                        {
                            "debug" => LogLevel.Debug,
                            "info" => LogLevel.Information,
                            "warn" => LogLevel.Warning,
                            "error" => LogLevel.Error,
                            var v => throw new UsageException($"--log.level must be one of debug, info, warn, error, not '{v}'"),
                        },
                    };
                    break;
                case "log.format":
                    options = options with
                    {
                        LogFormat = Value() switch
                        {
                            "logfmt" => LogFormat.Logfmt,
                            "json" => LogFormat.Json,
                            var v => throw new UsageException($"--log.format must be logfmt or json, not '{v}'"),
                        },
                    };
                    break;
                default:
                    throw new UsageException($"unknown flag --{name}");
            }

            string Value()
            {
                if (inline is not null) return inline;
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new UsageException($"--{name} needs a value");
                return args[++i];
            }

            int Positive()
            {
                string text = Value();
                return PositiveCount.Parse(text) ?? throw new UsageException(PositiveCount.Error("--" + name, text));
            }
        }
        if (listen.Count == 0)
            listen.Add(new IPEndPoint(IPAddress.IPv6Any, ExporterOptions.DefaultPort));
        return options with { ListenAddresses = listen, DisabledCollectors = disabled, WatchPaths = watches };
    }

    internal static readonly string[] KnownStates =
        ["established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait", "close", "close_wait", "last_ack", "closing"];

    /// <summary>
    /// A literal URL path for the metrics endpoint. Checked here because the router would otherwise throw at start-up
    /// (a '?' made an unhandled RoutePatternException, issue 17), and a path with a query, a fragment, a route
    /// parameter or a blank could never be scraped as written.
    /// </summary>
    /// <summary>"0", "500ms", "1s", "2.5s" (a bare number is seconds). Between 10 ms and an hour, or 0 (off).</summary>
    internal static TimeSpan SampleInterval(string text) =>
        TryParseSampleInterval(text, out TimeSpan interval, out string? problem) ? interval
            : throw new UsageException($"--listen.sample-interval {problem}");

    /// <summary>The flag's and the config file's (listen.sample_interval) one parser; <paramref name="problem"/> says
    /// what is wrong, without naming where the value came from.</summary>
    internal static bool TryParseSampleInterval(string text, out TimeSpan interval, out string? problem)
    {
        interval = TimeSpan.Zero;
        string number = text.EndsWith("ms", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('s') ? text[..^1] : text;
        double scale = text.EndsWith("ms", StringComparison.Ordinal) ? 0.001 : 1;
        if (!double.TryParse(number, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out double value))
        {
            problem = $"must be a duration such as 500ms, 1s or 0 (off), not '{text}'";
            return false;
        }
        interval = TimeSpan.FromSeconds(value * scale);
        if (interval != TimeSpan.Zero && (interval < TimeSpan.FromMilliseconds(10) || interval > TimeSpan.FromHours(1)))
        {
            problem = $"must be 0 (off) or between 10ms and 1h, not '{text}'";
            return false;
        }
        problem = null;
        return true;
    }

    private static string TelemetryPath(string path)
    {
        if (!path.StartsWith('/') || path == "/" || path.StartsWith("/-/", StringComparison.Ordinal))
            throw new UsageException($"--web.telemetry-path must start with / and must not be / or /-/…: '{path}'");
        int bad = path.AsSpan().IndexOfAny(TelemetryPathForbidden);
        if (bad < 0)
            bad = path.AsSpan().IndexOfAnyInRange('\0', ' ');
        if (bad < 0)
            bad = path.AsSpan().IndexOfAnyInRange('\u007F', '\u009F');
        if (bad >= 0)
            throw new UsageException($"--web.telemetry-path must be a plain path, without '?', '#', '{{', '}}', '%', '\\', blanks or " +
                $"control characters: '{path}' has U+{(int)path[bad]:X4} at {bad}");
        try
        {
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse(path);
        }
        catch (Microsoft.AspNetCore.Routing.Patterns.RoutePatternException e)
        {
            throw new UsageException($"--web.telemetry-path '{path}' is not a usable path: {e.Message}");
        }
        return path;
    }

    private static readonly System.Buffers.SearchValues<char> TelemetryPathForbidden = System.Buffers.SearchValues.Create("?#{}%\\");

    /// <summary>Regexes are anchored at both ends, as Prometheus anchors its label matchers and relabelling.</summary>
    private static Regex AnchoredRegex(string flag, string pattern)
    {
        try
        {
            return new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--{flag}: '{pattern}' is not a valid regular expression: {e.Message}");
        }
    }

    /// <summary>host:port, [v6]:port or :port (all interfaces, IPv4 and IPv6), as Go's net.Listen spells it.</summary>
    public static IPEndPoint ParseListenAddress(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0)
            throw new UsageException($"--web.listen-address '{text}' needs a port (host:port or :port)");
        string host = text[..colon], portText = text[(colon + 1)..];
        if (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port)
            || port > 65535)
            throw new UsageException($"--web.listen-address '{text}': port '{portText}' is not a number from 0 to 65535");
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        IPAddress address;
        if (host.Length == 0)
            address = IPAddress.IPv6Any;    // dual-stack: Kestrel accepts IPv4 on it too
        else if (host == "localhost")
            address = IPAddress.Loopback;
        else if (!IPAddress.TryParse(host, out address!))
            throw new UsageException($"--web.listen-address '{text}': '{host}' is not an IP address (names other than localhost are not resolved)");
        else if (host.Contains('%') && address.ScopeId == 0)
            // .NET resolves "%eth0" to the interface index; an unknown name left scope 0 and a bind error far from here.
            throw new UsageException($"--web.listen-address '{text}': no network interface '{host[(host.IndexOf('%') + 1)..]}' for the scoped address");
        return new IPEndPoint(address, port);
    }
}
