using System.Globalization;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Who;

public enum WhoTargetKind
{
    /// <summary>No target: every listener.</summary>
    Listeners,
    Port,
    Pid,
    Program,
    /// <summary>A path: a device node (holders by device number) or a file (holders of its filesystem), told apart once it is stat'ed.</summary>
    Path,
}

/// <summary>What `socket_exporter who` was asked about. <see cref="Protocol"/> is null for a port given without one (both TCP and UDP).</summary>
public sealed record WhoTarget(WhoTargetKind Kind, string Text, SocketProtocol? Protocol = null, ushort Port = 0, int Pid = 0, string Name = "")
{
    public static WhoTarget All { get; } = new(WhoTargetKind.Listeners, "");

    /// <summary>Parses a target as typed at a prompt: ":81", "81", "tcp:8080", "udp:53", "pid:1234", a path (starts
    /// with '/' or '.'), else a program name (as comm shows it). No I/O: a path is checked when it is read.</summary>
    public static bool TryParse(string? text, out WhoTarget target, out string error)
    {
        target = All;
        error = "";
        if (string.IsNullOrEmpty(text))
            return true;
        if (text[0] is '/' or '.')
        {
            target = new WhoTarget(WhoTargetKind.Path, text, Name: text);
            return true;
        }
        int colon = text.IndexOf(':');
        if (colon >= 0)
        {
            string prefix = text[..colon], rest = text[(colon + 1)..];
            switch (prefix)
            {
                case "":
                    return TryPort(text, rest, null, out target, out error);
                case "tcp":
                    return TryPort(text, rest, SocketProtocol.Tcp, out target, out error);
                case "udp":
                    return TryPort(text, rest, SocketProtocol.Udp, out target, out error);
                case "pid":
                    if (!int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0)
                    {
                        error = $"bad target \"{text}\": a pid is a positive number (pid:1234)";
                        return false;
                    }
                    target = new WhoTarget(WhoTargetKind.Pid, text, Pid: pid);
                    return true;
                default:
                    error = $"bad target \"{text}\": expected :PORT, tcp:PORT, udp:PORT, pid:PID, a path or a program name";
                    return false;
            }
        }
        if (text.All(char.IsAsciiDigit))
            return TryPort(text, text, null, out target, out error);
        // comm is at most 15 bytes (TASK_COMM_LEN 16), so a longer name can never match: say so rather than answer nothing.
        if (System.Text.Encoding.UTF8.GetByteCount(text) > 15)
        {
            error = $"bad target \"{text}\": a program name is at most 15 bytes, as /proc/PID/comm holds it";
            return false;
        }
        target = new WhoTarget(WhoTargetKind.Program, text, Name: text);
        return true;
    }

    private static bool TryPort(string text, string digits, SocketProtocol? protocol, out WhoTarget target, out string error)
    {
        target = All;
        error = "";
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit)
            || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            error = $"bad target \"{text}\": a port is a number from 1 to 65535";
            return false;
        }
        target = new WhoTarget(WhoTargetKind.Port, text, protocol, (ushort)port);
        return true;
    }
}
