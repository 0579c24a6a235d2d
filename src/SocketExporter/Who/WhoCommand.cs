using System.Text.Json;
using SocketExporter.Linux.Reading;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Who.Fleet;

namespace SocketExporter.Who;

/// <summary>
/// `socket_exporter who [TARGET] [--output=table|json] [--path.procfs=PATH]`: one snapshot shaped by the target, one
/// answer, no server. Exit 0 when something holds the target, 1 when nothing does, 2 on a bad target or flag.
/// </summary>
public static class WhoCommand
{
    public const string Usage = """
        usage: socket_exporter who [TARGET] [--output=table|json] [--path.procfs=/proc]
               socket_exporter who [TARGET] --prometheus.url=URL [--output=table|json] [PROMETHEUS CLIENT FLAGS]
          TARGET  :81, 81, tcp:8080, udp:53   who holds that local port (listeners and their connections)
                  pid:1234, nginx             what that process listens on, is connected to, holds
                  /dev/ttyUSB0                who holds that device (by device number, through any node)
                  /var/lib/docker             who uses that path's filesystem (as fuser -m)
                  (none)                      every listener on the host, one line each
        fleet mode: the same answer per instance, from the series a Prometheus (Thanos Query, Mimir) holds
          --prometheus.url=URL                  the HTTP API's base, e.g. http://prometheus:9090
          --prometheus.username=USER            basic auth, with the password read from
          --prometheus.password-file=FILE
          --prometheus.bearer-token-file=FILE   Authorization: Bearer <the file's content>
          --prometheus.ca-file=FILE             PEM CAs to verify the server's certificate with
          --prometheus.insecure-skip-verify     do not verify it
          --prometheus.timeout=30s              for the whole question
          pid:PID is refused (a pid names a process on one host); a path matches socket_device_fds's device
          or socket_path_holders's path (an exporter's --watch.path) as written.
        exit status: 0 something holds the target, 1 nothing does, 2 bad target or flag, or no answer from Prometheus
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        string? targetText = null;
        bool json = false;
        string procfs = "/proc";
        string? prometheusUrl = null, username = null, passwordFile = null, bearerTokenFile = null, caFile = null;
        bool insecure = false;
        TimeSpan timeout = PrometheusClientOptions.DefaultTimeout;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string? value = null;
            if (a.StartsWith("--", StringComparison.Ordinal) && a.IndexOf('=') is int eq and > 0)
                (a, value) = (a[..eq], a[(eq + 1)..]);
            switch (a)
            {
                case "-h" or "--help":
                    stdout.Write(Usage);
                    return 0;
                case "-o" or "--output":
                    value ??= i + 1 < args.Count ? args[++i] : null;
                    if (value is not ("json" or "table"))
                        return Bad(stderr, $"--output takes table or json, not \"{value}\"");
                    json = value == "json";
                    break;
                case "--path.procfs":
                    value ??= i + 1 < args.Count ? args[++i] : null;
                    if (string.IsNullOrEmpty(value))
                        return Bad(stderr, "--path.procfs needs a path");
                    procfs = value;
                    break;
                case "--prometheus.url" or "--prometheus.username" or "--prometheus.password-file" or "--prometheus.bearer-token-file"
                    or "--prometheus.ca-file" or "--prometheus.timeout":
                    value ??= i + 1 < args.Count ? args[++i] : null;
                    if (string.IsNullOrEmpty(value))
                        return Bad(stderr, $"{a} needs a value");
                    switch (a)
                    {
                        case "--prometheus.url": prometheusUrl = value; break;
                        case "--prometheus.username": username = value; break;
                        case "--prometheus.password-file": passwordFile = value; break;
                        case "--prometheus.bearer-token-file": bearerTokenFile = value; break;
                        case "--prometheus.ca-file": caFile = value; break;
                        default:
                            if (!TryParseTimeout(value, out timeout))
                                return Bad(stderr, $"--prometheus.timeout takes a duration such as 10s, 1m or 500ms, not \"{value}\"");
                            break;
                    }
                    break;
                case "--prometheus.insecure-skip-verify":
                    insecure = value is null or "true";
                    if (value is not (null or "true" or "false"))
                        return Bad(stderr, $"--prometheus.insecure-skip-verify takes true or false, not \"{value}\"");
                    break;
                default:
                    if (a.StartsWith('-') && a.Length > 1)
                        return Bad(stderr, $"unknown flag {args[i]}");
                    if (targetText is not null)
                        return Bad(stderr, $"one target at a time (got \"{targetText}\" and \"{a}\")");
                    targetText = args[i];
                    break;
            }
        }

        if (!WhoTarget.TryParse(targetText, out WhoTarget target, out string error))
            return Bad(stderr, error);
        if (prometheusUrl is not null)
        {
            if (!Uri.TryCreate(prometheusUrl, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "https"))
                return Bad(stderr, $"--prometheus.url must be an http:// or https:// URL, not \"{prometheusUrl}\"");
            var options = new PrometheusClientOptions
            {
                Url = url, Username = username, PasswordFile = passwordFile, BearerTokenFile = bearerTokenFile, CaFile = caFile,
                InsecureSkipVerify = insecure, Timeout = timeout,
            };
            // A one-shot command with no synchronization context: waiting here blocks nothing else.
            return FleetCommand.RunAsync(target, options, json, stdout, stderr).GetAwaiter().GetResult();
        }
        if ((username ?? passwordFile ?? bearerTokenFile ?? caFile) is not null || insecure)
            return Bad(stderr, "--prometheus.* flags need --prometheus.url");
        PathProbe? probe = null;
        if (target.Kind == WhoTargetKind.Path)
        {
            if (!PathProbe.TryProbe(target.Name, out PathProbe found, out string why))
                return Bad(stderr, $"bad target \"{target.Text}\": {why}");
            probe = found;
        }

        using var builder = new SnapshotBuilder(WhoQuery.OptionsFor(target, probe, procfs));
        // A one-shot command with no synchronization context: waiting here blocks nothing else.
        ScrapeSnapshot snapshot = builder.BuildAsync(CancellationToken.None).GetAwaiter().GetResult();
        WhoAnswer answer = WhoQuery.Ask(target, probe, snapshot);

        if (json)
            stdout.WriteLine(JsonSerializer.Serialize(answer.Rows.ToList(), WhoJsonContext.Default.ListWhoRow));
        else
            stdout.Write(WhoPrinter.Render(target, answer.Rows));
        // Notes go to stderr, so that JSON on stdout stays one parseable array.
        foreach (string note in answer.Notes)
            stderr.WriteLine($"socket_exporter who: {note}");
        if (answer.Rows.Count > 0)
            return 0;
        stderr.WriteLine($"socket_exporter who: nothing holds {Describe(target, probe)}");
        return 1;
    }

    private static string Describe(WhoTarget target, PathProbe? probe) => target.Kind switch
    {
        WhoTargetKind.Listeners => "a listening socket",
        WhoTargetKind.Port => $"{(target.Protocol is null ? "tcp or udp" : target.Protocol == SocketProtocol.Tcp ? "tcp" : "udp")} port {target.Port}",
        WhoTargetKind.Pid => $"anything as pid {target.Pid} (or no such process)",
        WhoTargetKind.Program => $"anything as a program named \"{target.Name}\" (or none runs)",
        _ when probe is { Device: { } d } => $"device {d} ({target.Name})",
        _ => $"the filesystem of {target.Name}",
    };

    /// <summary>"30s", "1m", "500ms", "1.5s" (a bare number is seconds); more than zero.</summary>
    internal static bool TryParseTimeout(string text, out TimeSpan timeout)
    {
        (string number, double scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1) : text.EndsWith('m') ? (text[..^1], 60) : (text, 1);
        timeout = TimeSpan.Zero;
        if (!double.TryParse(number, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out double value)
            || value <= 0 || value * scale > TimeSpan.FromDays(1).TotalSeconds)
            return false;
        timeout = TimeSpan.FromSeconds(value * scale);
        return true;
    }

    private static int Bad(TextWriter stderr, string message)
    {
        stderr.WriteLine($"socket_exporter who: {message}");
        return 2;
    }
}
