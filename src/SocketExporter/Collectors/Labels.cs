using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>Label values shared by the socket collectors, interned so per-socket loops do not allocate.</summary>
internal static class Labels
{
    public const string Inbound = "inbound", Outbound = "outbound";

    private static readonly string[] PortTexts = BuildPortTexts();

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

    public static string Port(ushort port) => PortTexts[port];

    public static string Number(uint value) => value <= ushort.MaxValue ? PortTexts[value] : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>"" for a socket no visible process holds (<see cref="SocketOwnerIndex.Unheld"/>: TIME_WAIT, or a hidden process).</summary>
    public static string Pid(ScrapeSnapshot snapshot, int processIndex) =>
        processIndex < 0 ? "" : snapshot.Processes[processIndex].Identity.PidText;

    public static string Program(ScrapeSnapshot snapshot, int processIndex) =>
        processIndex < 0 ? "" : snapshot.Processes[processIndex].Identity.Program;

    // 65,536 short strings (~2.5 MB) once, instead of formatting a port per socket per scrape.
    private static string[] BuildPortTexts()
    {
        var texts = new string[ushort.MaxValue + 1];
        for (int i = 0; i < texts.Length; i++)
            texts[i] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return texts;
    }
}
