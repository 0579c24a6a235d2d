using System.Text.Json;
using SocketExporter.Linux.Reading;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Who;

/// <summary>
/// `socket_exporter who [TARGET] [--output=table|json] [--path.procfs=PATH]`: one snapshot shaped by the target, one
/// answer, no server. Exit 0 when something holds the target, 1 when nothing does, 2 on a bad target or flag.
/// </summary>
public static class WhoCommand
{
    public const string Usage = """
        usage: socket_exporter who [TARGET] [--output=table|json] [--path.procfs=/proc]
          TARGET  :81, 81, tcp:8080, udp:53   who holds that local port (listeners and their connections)
                  pid:1234, nginx             what that process listens on, is connected to, holds
                  /dev/ttyUSB0                who holds that device (by device number, through any node)
                  /var/lib/docker             who uses that path's filesystem (as fuser -m)
                  (none)                      every listener on the host, one line each
        exit status: 0 something holds the target, 1 nothing does, 2 bad target
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        string? targetText = null;
        bool json = false;
        string procfs = "/proc";
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

    private static int Bad(TextWriter stderr, string message)
    {
        stderr.WriteLine($"socket_exporter who: {message}");
        return 2;
    }
}
