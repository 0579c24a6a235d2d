using SocketExporter.Linux.Interop;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Reading;

/// <summary>
/// Reads a namespace's raw, ping and packet sockets from its /proc/net text (or /proc/PID/net). These tables are small on
/// any host (a few capture and ICMP tools), so text is cheap and needs no privilege; sock_diag has raw_diag and
/// packet_diag, but no ping sockets, and text gives all three the same way in every namespace.
/// </summary>
public static class RawSocketReader
{
    // raw and icmp share the /proc/net/udp layout: for a raw socket the "port" is the IP protocol it was opened for
    // (inet_num), for a ping socket it is the ICMP echo identifier (never a label).
    private static readonly (string File, RawSocketKind Kind, SocketFamily Family)[] InetTables =
    [
        ("raw", RawSocketKind.Raw, SocketFamily.Ipv4),
        ("raw6", RawSocketKind.Raw, SocketFamily.Ipv6),
        ("icmp", RawSocketKind.Ping, SocketFamily.Ipv4),
        ("icmp6", RawSocketKind.Ping, SocketFamily.Ipv6),
    ];

    /// <summary>Appends the namespace's raw, ping and packet sockets to <paramref name="sink"/>.</summary>
    /// <returns>Why a table could not be read or had bad lines, or null. A table that does not exist (IPv6 or
    /// AF_PACKET not built into the kernel, or a module not yet loaded) holds no socket: that is not an error.</returns>
    public static ReadFailure? Read(ProcFileReader files, string procNetDirectory, List<RawSocketEntry> sink)
    {
        var problems = new List<ReadFailure>();
        var inet = new List<SocketEntry>();
        foreach ((string file, RawSocketKind kind, SocketFamily family) in InetTables)
        {
            inet.Clear();
            if (!TryReadTable(files, procNetDirectory, file, problems, text =>
                    ProcNetTable.ParseLines(text, (ReadOnlySpan<byte> line, int number, out SocketEntry entry, out ParseError error) =>
                        ProcNetSocketParser.TryParseLine(line, SocketProtocol.Udp, family, number, out entry, out error), inet)))
                continue;
            foreach (SocketEntry s in inet)
                sink.Add(new RawSocketEntry(kind, family, kind == RawSocketKind.Raw ? s.LocalPort : PingProtocol(family),
                    PacketType: 0, InterfaceIndex: 0, s.Uid, s.Inode));
        }
        TryReadTable(files, procNetDirectory, "packet", problems, text => ProcNetPacketParser.Parse(text, sink));
        return problems.Count switch
        {
            0 => null,
            1 => problems[0],
            _ => new ReadFailure(string.Join("; ", problems)),   // rare: several of a namespace's small tables at once
        };
    }

    // IPPROTO_ICMP and IPPROTO_ICMPV6.
    private static ushort PingProtocol(SocketFamily family) => family == SocketFamily.Ipv6 ? (ushort)58 : (ushort)1;

    private delegate ProcNetTableResult TableParser(ReadOnlySpan<byte> text);

    private static bool TryReadTable(ProcFileReader files, string directory, string file, List<ReadFailure> problems, TableParser parse)
    {
        string path = Path.Combine(directory, file);
        int errno = files.TryRead(null, path, out ReadOnlySpan<byte> text, ProcFileReader.TableLimit);   // a line per socket
        if (errno == Constants.ENOENT)
            return false;
        if (errno != 0)
        {
            problems.Add(new ReadFailure(path, errno));
            return false;
        }
        ProcNetTableResult result = parse(text);
        if (result.BadLines > 0)
            problems.Add(new ReadFailure(path, Detail: $"{result.BadLines} malformed lines, first {result.FirstError}"));
        return true;
    }
}
