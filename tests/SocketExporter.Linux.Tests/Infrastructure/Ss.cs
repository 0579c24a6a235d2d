using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.Infrastructure;

/// <summary>
/// Runs iproute2's ss (no shell, arguments as a list) and parses `-H -n -e` output of one protocol
/// ("STATE RECV-Q SEND-Q LOCAL PEER ... ino:N ..."). A missing tool or a non-zero exit fails the test.
/// </summary>
public static partial class Ss
{
    public static HashSet<(SocketState State, ushort LocalPort, ushort RemotePort, ulong Inode)> Query(params string[] args)
    {
        var result = new HashSet<(SocketState, ushort, ushort, ulong)>();
        foreach (string line in Run(args).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 5)
                continue;
            Match ino = InodePattern().Match(line);
            Assert.True(ino.Success, $"ss printed no ino: field in '{line}'");
            result.Add((ParseState(f[0]), Port(f[3]), Port(f[4]), ulong.Parse(ino.Groups[1].Value, CultureInfo.InvariantCulture)));
        }
        return result;
    }

    private static string Run(string[] args)
    {
        var info = new ProcessStartInfo("ss") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
            info.ArgumentList.Add(a);
        using Process process = Process.Start(info) ?? throw new InvalidOperationException("could not start ss");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            throw new TimeoutException($"ss {string.Join(' ', args)} did not finish");
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"ss {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    // ss's state names (misc/ss.c sstate_name); UDP prints UNCONN for TCP_CLOSE.
    private static SocketState ParseState(string name) => name switch
    {
        "ESTAB" => SocketState.Established,
        "SYN-SENT" => SocketState.SynSent,
        "SYN-RECV" => SocketState.SynRecv,
        "FIN-WAIT-1" => SocketState.FinWait1,
        "FIN-WAIT-2" => SocketState.FinWait2,
        "TIME-WAIT" => SocketState.TimeWait,
        "UNCONN" or "CLOSE" => SocketState.Close,
        "CLOSE-WAIT" => SocketState.CloseWait,
        "LAST-ACK" => SocketState.LastAck,
        "LISTEN" => SocketState.Listen,
        "CLOSING" => SocketState.Closing,
        _ => throw new InvalidOperationException($"unknown ss state '{name}'"),
    };

    // "127.0.0.1:80", "[::1]:80", "*:80", "0.0.0.0:*": the port follows the last ':'; "*" is 0.
    private static ushort Port(string endpoint)
    {
        string port = endpoint[(endpoint.LastIndexOf(':') + 1)..];
        return port == "*" ? (ushort)0 : ushort.Parse(port, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\bino:(\d+)")]
    private static partial Regex InodePattern();
}
