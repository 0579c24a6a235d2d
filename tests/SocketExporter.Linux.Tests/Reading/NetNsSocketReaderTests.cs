using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Namespaces;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Reading;

namespace SocketExporter.Linux.Tests.Reading;

/// <summary>
/// Another namespace read through /proc/PID/net (no setns): a proc tree with one process whose ns/net link names the
/// namespace. If the pid no longer names that namespace after the read (the process exited and the number was
/// reused), nothing of the read is kept.
/// </summary>
[Trait("Category", "Unit")]
public sealed class NetNsSocketReaderTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("socket-exporter-netns-").FullName;
    private readonly ulong _namespaceInode;

    private const string TcpTable =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 616857 1 0000000000000000 100 0 0 10 0\n";

    public NetNsSocketReaderTests()
    {
        string net = Directory.CreateDirectory(Path.Combine(_proc, "4242", "net")).FullName;
        File.WriteAllText(Path.Combine(net, "tcp"), TcpTable);
        foreach (string empty in new[] { "tcp6", "udp", "udp6" })
            File.WriteAllText(Path.Combine(net, empty), TcpTable.Split('\n')[0] + "\n");
        File.WriteAllText(Path.Combine(net, "unix"), "Num       RefCount Protocol Flags    Type St Inode Path\n");
        // ns/net: a link to a file standing for the namespace (on a real /proc, an nsfs inode).
        string nsFile = Path.Combine(_proc, "namespace-file");
        File.WriteAllText(nsFile, "");
        Directory.CreateDirectory(Path.Combine(_proc, "4242", "ns"));
        File.CreateSymbolicLink(Path.Combine(_proc, "4242", "ns", "net"), nsFile);
        Assert.Equal(0, Libc.StatxFollow(PathBytes.ToNulTerminated(Path.Combine(_proc, "4242", "ns", "net")), out StatxBuffer stx));
        _namespaceInode = stx.Ino;
    }

    private async Task<NetNsSnapshot> ReadForeign(ulong inode)
    {
        using var reader = new NetNsSocketReader(_proc, procNetOnly: true, useSetns: false);
        return Assert.Single(await reader.ReadAsync([new NetNsTarget(inode, 4242, null)]));
    }

    [Fact]
    public async Task Read_PidStillInTheNamespace_KeepsItsSockets()
    {
        NetNsSnapshot ns = await ReadForeign(_namespaceInode);
        Assert.Equal(NetNsMethod.ProcFs, ns.Method);
        SocketEntry listener = Assert.Single(ns.Sockets);
        Assert.Equal((8080, 616857UL), (listener.LocalPort, listener.Inode));
    }

    [Fact]
    public async Task Read_PidNowInAnotherNamespace_DropsTheReadAndSaysWhy()
    {
        NetNsSnapshot ns = await ReadForeign(_namespaceInode + 1);   // discovery saw the pid in another namespace
        Assert.Empty(ns.Sockets);
        Assert.Equal(NetNsMethod.None, ns.Method);
        Assert.All(ns.SocketTables.Where(t => t.Protocol != SocketProtocol.Unix), t =>
        {
            Assert.Equal(SocketSource.None, t.Source);
            Assert.Contains("left namespace", t.Error?.ToString());
        });
    }

    public void Dispose() => Directory.Delete(_proc, recursive: true);
}
