using System.Text.RegularExpressions;

namespace SocketExporter.Tests.Infrastructure;

/// <summary>One line of `ss -tuanpH`, with its holders.</summary>
public sealed record SsSocket(string Protocol, string State, long RecvQ, long SendQ, string LocalAddress, int LocalPort,
    string PeerAddress, int PeerPort, IReadOnlyList<(string Program, int Pid)> Users)
{
    public bool IsListening => State is "LISTEN" || (Protocol == "udp" && State == "UNCONN");
}

/// <summary>Runs iproute2's ss and parses its output: the reference the exporter is compared with.</summary>
public static partial class Ss
{
    public static List<SsSocket> TcpUdpWithProcesses() => Parse(ToolRunner.Run("ss", "-tuanpH"));

    public static List<SsSocket> Parse(string output)
    {
        var result = new List<SsSocket>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 6) continue;
            (string localAddress, int localPort) = Endpoint(f[4]);
            (string peerAddress, int peerPort) = Endpoint(f[5]);
            var users = new List<(string, int)>();
            foreach (Match m in UserPattern().Matches(line))
                users.Add((m.Groups[1].Value, int.Parse(m.Groups[2].Value)));
            result.Add(new SsSocket(f[0], f[1], long.Parse(f[2]), long.Parse(f[3]), localAddress, localPort, peerAddress, peerPort, users));
        }
        return result;
    }

    /// <summary>"127.0.0.1:80", "[::1]:80", "*:80", "0.0.0.0:*", "127.0.0.53%lo:53" → (address, port); "*" ports are 0.</summary>
    public static (string Address, int Port) Endpoint(string text)
    {
        int colon = text.LastIndexOf(':');
        string address = text[..colon], port = text[(colon + 1)..];
        int percent = address.IndexOf('%');
        if (percent >= 0) address = address[..percent];
        if (address.StartsWith('[')) address = address[1..^1];
        if (address == "*") address = "::";   // ss prints a dual-stack [::] socket as *
        return (address, port == "*" ? 0 : int.Parse(port));
    }

    [GeneratedRegex("\\(\"((?:[^\"\\\\]|\\\\.)*)\",pid=(\\d+),fd=\\d+\\)")]
    private static partial Regex UserPattern();
}
