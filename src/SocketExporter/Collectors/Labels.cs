using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>Label values shared by the socket collectors, interned so per-socket loops do not allocate.</summary>
internal static class Labels
{
    public const string Inbound = "inbound", Outbound = "outbound";

    // Filled as ports are seen: a host uses a few hundred of the 65,536 numbers, and all of them formatted up front
    // kept ~2.5 MB alive for nothing. Two threads may format the same number at once; either string will do.
    private static readonly string?[] PortTexts = new string?[ushort.MaxValue + 1];

    public static string Protocol(SocketProtocol protocol) => protocol switch
    {
        SocketProtocol.Tcp => "tcp",
        SocketProtocol.Udp => "udp",
        _ => "unix",
    };

    public static string Family(SocketFamily family) => family switch
    {
        SocketFamily.Ipv4 => "ipv4",
        SocketFamily.Ipv6 => "ipv6",
        SocketFamily.Packet => "packet",
        _ => "unix",
    };

    public static string Port(ushort port) => PortTexts[port] ??= port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string Number(uint value) => value <= ushort.MaxValue ? Port((ushort)value) : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>"" for a socket no visible process holds (<see cref="SocketOwnerIndex.Unheld"/>: TIME_WAIT, or a hidden process).</summary>
    public static string Pid(ScrapeSnapshot snapshot, int processIndex) =>
        processIndex < 0 ? "" : snapshot.Processes[processIndex].Identity.PidText;

    public static string Program(ScrapeSnapshot snapshot, int processIndex) =>
        processIndex < 0 ? "" : snapshot.Processes[processIndex].Identity.Program;

}
