using System.Text;
using SocketExporter.Collectors;
using SocketExporter.Configuration;
using SocketExporter.Linux.Namespaces;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Web;

namespace SocketExporter.Fuzz;

/// <summary>Every fuzz target, in one explicit list: the names scripts/fuzz.sh accepts.</summary>
public static class Targets
{
    private const string Fixtures = "tests/SocketExporter.Linux.Tests/Fixtures/";
    private const string Seeds = "tools/fuzz/seeds/";
    // Lazy, and before All: instrumented code may run only inside Fuzzer.Run, which sets up afl's coverage map.
    private static readonly Lazy<string[]> CollectorNames = new(() => CollectorList.All(DeviceFilter.Default).Select(c => c.Name).ToArray());

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        // sock_diag: whole recv() chunks (framing, NLMSG_DONE/ERROR) and single message payloads.
        new("sockdiag-inet-dump", [Fixtures + "netlink"], input =>
            SockDiagDumpParser.ParseChunk(input, SocketProtocol.Tcp, sequence: null, new List<SocketEntry>())),
        new("sockdiag-unix-dump", [Fixtures + "netlink"], input =>
            SockDiagDumpParser.ParseChunk<UnixSocketEntry, UnixDiagDecoder>(input, SocketProtocol.Tcp, sequence: null, new List<UnixSocketEntry>())),
        // Destroy events as recv() returns them (one or more messages): every payload through the event decoder.
        new("destroy-event", [Fixtures + "netlink/destroy"], input =>
        {
            var reader = new NetlinkMessageReader(input);
            while (reader.TryRead(out _, out _, out _, out ReadOnlySpan<byte> payload) == NetlinkReadResult.Message)
                SocketExporter.Linux.Events.TcpDestroyEventDecoder.TryDecode(payload, out _, out _);
        }),
        new("inet-diag-msg", [Seeds + "inet-diag-msg"], input =>
            InetDiagDecoder.TryDecode(input, SocketProtocol.Udp, out _)),
        new("unix-diag-msg", [Seeds + "unix-diag-msg"], input =>
            UnixDiagDecoder.TryDecode(input, SocketProtocol.Tcp, out _)),

        // /proc text of processes that may be hostile (comm, cgroup paths) or dying (truncated reads).
        new("proc-stat", [Fixtures + "proc/1/stat", Fixtures + "proc/4242/stat", Fixtures + "proc/4243/stat"], input =>
            ProcStatParser.TryParse(input, out _, out _)),
        new("proc-status", [Fixtures + "proc/1/status", Fixtures + "proc/4242/status"], input =>
            ProcStatusParser.TryParseEffectiveUid(input, out _, out _)),
        new("proc-limits", [Fixtures + "proc/1/limits", Fixtures + "proc/4242/limits", Fixtures + "proc/4243/limits"], input =>
            ProcLimitsParser.TryParseOpenFilesSoftLimit(input, out _, out _)),
        new("proc-cgroup", [Fixtures + "proc/1/cgroup", Fixtures + "proc/4242/cgroup", Fixtures + "proc/4243/cgroup"], input =>
            CgroupParser.Parse(Encoding.UTF8.GetString(input))),
        new("proc-maps", [Seeds + "proc-maps"], input =>
            ProcMapsParser.CountMappings(input, new Dictionary<FilesystemId, int>())),
        new("proc-net-inet", [Fixtures + "proc/net/tcp", Fixtures + "proc/net/tcp6", Fixtures + "proc/net/udp",
            Fixtures + "proc/net/udp6", Fixtures + "proc/net/raw", Fixtures + "proc/net/tcp-malformed"], input =>
        {
            // The same text read as an IPv4 and an IPv6 table: the address width is the family's.
            ProcNetTable.Parse(input, SocketProtocol.Tcp, SocketFamily.Ipv4, new List<SocketEntry>());
            ProcNetTable.Parse(input, SocketProtocol.Udp, SocketFamily.Ipv6, new List<SocketEntry>());
        }),
        new("proc-net-unix", [Fixtures + "proc/net/unix"], input =>
            ProcNetUnixParser.Parse(input, new List<UnixSocketEntry>())),
        new("proc-net-packet", [Fixtures + "proc/net/packet"], input =>
            ProcNetPacketParser.Parse(input, new List<RawSocketEntry>())),
        new("proc-netstat", [Fixtures + "proc/net/netstat"], input =>
            ProcNetstatParser.TryParseListenDrops(input, out _, out _)),
        new("passwd", [Seeds + "passwd"], input =>
            PasswdParser.Parse(input, out _)),
        new("ns-link", [Seeds + "ns-link"], input =>
            NsLinkParser.TryParseNet(input, out _)),
        new("local-port-range", [Fixtures + "proc/sys/net/ipv4/ip_local_port_range"], input =>
            LocalPortRangeParser.TryParse(input, out _, out _)),
        new("fd-target", [Fixtures + "proc/1/fd", Fixtures + "proc/4242/fd"], input =>
            FdTarget.Classify(input, out _, out _), SeedsAreLinks: true),

        // Files and flags an operator writes: a mistake is a UsageException / WebConfigException naming it.
        new("config-file", [Seeds + "config-file"], ConfigFileTarget.Run),
        new("web-config", [Seeds + "web-config"], input =>
        {
            try { WebConfigParser.Parse(Encoding.UTF8.GetString(input), "/fuzz/web-config.yml"); }
            catch (WebConfigException) { }
        }),
        new("flags", [Seeds + "flags"], input =>
        {
            // One argument per line, as a shell would pass them.
            string[] args = Encoding.UTF8.GetString(input).Split('\n');
            try { CommandLine.Parse(args, CollectorNames.Value); }
            catch (UsageException) { }
        }),
        new("port-ranges", [Seeds + "port-ranges"], input =>
        {
            try { PortRanges.Parse(Encoding.UTF8.GetString(input)); }
            catch (FormatException) { }
        }),

        // Bytes from the network: the Authorization header of every request when basic auth is on.
        new("basic-auth-header", [Seeds + "basic-auth-header"], input =>
            BasicAuthenticator.TryParseBasic(Encoding.UTF8.GetString(input), out _, out _)),
    ];

}
