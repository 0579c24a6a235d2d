using System.Net;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;
using SocketExporter.Linux.Reading;

namespace SocketExporter.Linux.Tests.Reading;

public sealed class SnapshotBuilderTests
{
    [Fact, Trait("Category", "Integration")]
    public async Task Build_OneLocalPortOnlyHolders_RecordsThatPortsSocketsAndOnlyTheirHolders()
    {
        using var trio = new OwnTcpTrio(IPAddress.Loopback);
        using var other = new OwnTcpTrio(IPAddress.Loopback);
        using var builder = new SnapshotBuilder(new SnapshotOptions
        {
            Sockets = new SocketScope(LocalPort: trio.Port, Unix: false, Details: false),
            OnlySocketHolders = true,
            ClassifyPathDescriptors = false,
        });

        ScrapeSnapshot snapshot = await builder.BuildAsync(CancellationToken.None);

        SocketEntry[] host = snapshot.Namespaces.Single(n => n.IsHost).Sockets.ToArray();
        Assert.Equal(2, host.Length);   // the listener and the accepted end; the client's local port is ephemeral
        Assert.All(snapshot.Namespaces.SelectMany(n => n.Sockets), s => Assert.Equal(trio.Port, s.LocalPort));
        Assert.Empty(snapshot.Namespaces.SelectMany(n => n.UnixSockets));
        // This test process holds them; every recorded process holds one of them.
        ProcessEntry self = Assert.Single(snapshot.Processes, p => p.Pid == Environment.ProcessId);
        int selfIndex = IndexOf(snapshot, Environment.ProcessId);
        Assert.All(host, s => Assert.Contains(selfIndex, Holders(snapshot, s.Inode)));
        Assert.All(other.Inodes, i => Assert.Equal([SocketOwnerIndex.Unheld], Holders(snapshot, i)));
        Assert.True(snapshot.Processes.Count <= 2, $"{snapshot.Processes.Count} processes recorded for two sockets");

        static List<int> Holders(ScrapeSnapshot snapshot, ulong inode)
        {
            var holders = new List<int>();
            foreach (int index in snapshot.Owners.HoldersOrUnheld(inode))
                holders.Add(index);
            return holders;
        }
    }

    [Fact, Trait("Category", "Unit")]
    public async Task Build_FixtureProcRootProcNetOnly_ReadsTablesProcessesAndOwners()
    {
        var builder = new SnapshotBuilder(new SnapshotOptions
        {
            ProcfsPath = Fixture.Path("proc"),
            ProcNetOnly = true,
            ClassifyPathDescriptors = false,   // the fixture links point nowhere real
        });

        ScrapeSnapshot snapshot = await builder.BuildAsync(CancellationToken.None);

        Assert.Null(snapshot.ProcessError);
        Assert.Equal(18, snapshot.Sockets.Count());   // tcp 9 + tcp6 6 + udp 2 + udp6 1
        SocketTableStatus[] inet = InetTables(snapshot);
        Assert.Equal(4, inet.Length);
        Assert.Equal([9, 6, 2, 1], inet.Select(t => t.Sockets));
        Assert.All(snapshot.SocketTables, t => Assert.Equal((SocketSource.ProcNet, 0, (ReadFailure?)null), (t.Source, t.BadRecords, t.Error)));
        Assert.False(snapshot.SocketsFailed);

        // 4243's stat is truncated: counted as failed, not listed. 1, 4242, 4244 and 4245 are read.
        Assert.Equal(1, snapshot.FailedProcesses);
        Assert.Equal(0, snapshot.UnreadableProcesses);
        Assert.Equal(4, snapshot.Processes.Count);
        ProcessEntry evil = Assert.Single(snapshot.Processes, p => p.Pid == 4242);
        ProcessEntry init = Assert.Single(snapshot.Processes, p => p.Pid == 1);
        Assert.Equal(("evil) x", 0u, 57902ul, "4242"), (evil.Identity.Program, evil.Identity.Uid, evil.Identity.StartTicks, evil.Identity.PidText));
        Assert.Equal(("systemd", (long?)4096), (init.Identity.Program, init.FdLimit));
        Assert.Equal((true, (long?)1024, 10, 4), (evil.FdsReadable, evil.FdLimit, evil.Fds.Total, evil.Fds[FdKind.Socket]));

        int evilIndex = IndexOf(snapshot, 4242), initIndex = IndexOf(snapshot, 1);
        Assert.Equal([evilIndex], Owners(snapshot, 616857));   // the 127.0.0.1:8080 listener of proc/net/tcp
        Assert.Equal(new[] { evilIndex, initIndex }.Order(), Owners(snapshot, 5001).Order());
        Assert.Empty(Owners(snapshot, 616858));                 // in the table, held by no fixture process
        SocketEntry listener = Assert.Single(snapshot.Sockets, s => s.Inode == 616857);
        Assert.True(snapshot.Namespaces[0].IsListeningPort(SocketProtocol.Tcp, listener.LocalPort));
        Assert.True(snapshot.Namespaces[0].IsListeningPort(SocketProtocol.Udp, 5353));
        Assert.False(snapshot.Namespaces[0].IsListeningPort(SocketProtocol.Udp, 5354));
    }

    // The socket tables and the process walk run on two threads (SnapshotBuilder.Build): neither may see the other's
    // file contents. A hand-made proc root with a large net/tcp and many processes makes the two reads overlap;
    // 20 builds make a shared read buffer show up as lost rows or failed processes in nearly every run.
    [Fact, Trait("Category", "Unit")]
    public async Task Build_LargeProcNetAndManyProcesses_EveryTableRowAndProcessReadIntact()
    {
        const int tcpRows = 3000, pids = 400, builds = 20;
        string root = Directory.CreateTempSubdirectory("proc-root-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "net"));
            var tcp = new System.Text.StringBuilder(File.ReadLines(Fixture.Path("proc/net/tcp")).First()).Append('\n');
            for (int i = 0; i < tcpRows; i++)
                tcp.Append(System.Globalization.CultureInfo.InvariantCulture,
                    $"{i,4}: 0100007F:{10000 + i:X4} 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 {700000 + i} 1 0000000000000000 20 4 30 10 -1\n");
            File.WriteAllText(Path.Combine(root, "net", "tcp"), tcp.ToString());
            foreach (string file in new[] { "tcp6", "udp", "udp6", "unix" })
                File.Copy(Fixture.Path($"proc/net/{file}"), Path.Combine(root, "net", file));
            for (int pid = 100; pid < 100 + pids; pid++)
            {
                string dir = Path.Combine(root, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Directory.CreateDirectory(Path.Combine(dir, "fd"));
                foreach (string file in new[] { "stat", "status", "limits" })
                    File.Copy(Fixture.Path($"proc/4242/{file}"), Path.Combine(dir, file));
            }
            var builder = new SnapshotBuilder(new SnapshotOptions { ProcfsPath = root, ProcNetOnly = true });

            for (int build = 0; build < builds; build++)
            {
                ScrapeSnapshot snapshot = await builder.BuildAsync(CancellationToken.None);

                Assert.Equal([tcpRows, 6, 2, 1], InetTables(snapshot).Select(t => t.Sockets));
                Assert.All(snapshot.SocketTables, t => Assert.Equal((SocketSource.ProcNet, 0), (t.Source, t.BadRecords)));
                Assert.Equal(tcpRows + 9, snapshot.Sockets.Count());
                Assert.Equal((0, 0), (snapshot.FailedProcesses, snapshot.UnreadableProcesses));
                Assert.Equal(pids, snapshot.Processes.Count);
                Assert.All(snapshot.Processes, p => Assert.Equal(("evil) x", 0u, (long?)1024), (p.Identity.Program, p.Identity.Uid, p.FdLimit)));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    // Issue 17: a process whose stat was a FIFO hung every scrape for good; one reading like /dev/zero overflowed the
    // read buffer and failed the whole snapshot. Each is one failed process now, and the others are read.
    [Fact]
    public async Task Build_ProcessStatIsFifoOrDevZero_CountsThemFailed_ReadsTheOthers_DoesNotHang()
    {
        string root = Directory.CreateTempSubdirectory("proc-root-bad-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "net"));
            foreach (string file in new[] { "tcp", "tcp6", "udp", "udp6", "unix" })
                File.Copy(Fixture.Path($"proc/net/{file}"), Path.Combine(root, "net", file));
            foreach (string pid in new[] { "100", "101", "102", "103" })
            {
                Directory.CreateDirectory(Path.Combine(root, pid, "fd"));
                foreach (string file in new[] { "stat", "status", "limits" })
                    File.Copy(Fixture.Path($"proc/4242/{file}"), Path.Combine(root, pid, file));
            }
            File.Delete(Path.Combine(root, "101", "stat"));
            ProcFs.ProcFileReaderTests.MakeFifo(Path.Combine(root, "101", "stat"));
            File.Delete(Path.Combine(root, "102", "stat"));
            File.CreateSymbolicLink(Path.Combine(root, "102", "stat"), "/dev/zero");
            File.Delete(Path.Combine(root, "103", "limits"));   // a FIFO where an optional file is: that value is missing
            ProcFs.ProcFileReaderTests.MakeFifo(Path.Combine(root, "103", "limits"));
            var builder = new SnapshotBuilder(new SnapshotOptions { ProcfsPath = root, ProcNetOnly = true });

            Task<ScrapeSnapshot> build = Task.Run(() => builder.BuildAsync(CancellationToken.None));
            Assert.True(await Task.WhenAny(build, Task.Delay(TimeSpan.FromSeconds(30))) == build, "the snapshot was not built within 30 s");
            ScrapeSnapshot snapshot = await build;

            Assert.Null(snapshot.ProcessError);
            Assert.Equal(2, snapshot.FailedProcesses);   // 101 and 102
            Assert.Equal([100, 103], snapshot.Processes.Select(p => p.Pid).Order());
            Assert.Equal((long?)1024, Assert.Single(snapshot.Processes, p => p.Pid == 100).FdLimit);
            Assert.Null(Assert.Single(snapshot.Processes, p => p.Pid == 103).FdLimit);
            Assert.Equal(9, InetTables(snapshot)[0].Sockets);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact, Trait("Category", "Integration")]
    public async Task Build_DefaultAndProcNetOnly_BothSeeThisProcessListenerWithTheSameInode()
    {
        using var trio = new OwnTcpTrio(IPAddress.Loopback);

        ScrapeSnapshot viaNetlink = await new SnapshotBuilder(new SnapshotOptions()).BuildAsync(CancellationToken.None);
        ScrapeSnapshot viaProcNet = await new SnapshotBuilder(new SnapshotOptions { ProcNetOnly = true }).BuildAsync(CancellationToken.None);

        // The host's namespace only: other tests of this assembly add namespaces of their own meanwhile.
        NetNsSnapshot hostViaProcNet = Assert.Single(viaProcNet.Namespaces, n => n.IsHost);
        Assert.Equal(4, hostViaProcNet.SocketTables.Count(t => t.Protocol is SocketProtocol.Tcp or SocketProtocol.Udp));
        Assert.All(hostViaProcNet.SocketTables, t => Assert.Equal(SocketSource.ProcNet, t.Source));
        Assert.Equal(SocketSource.Netlink, Assert.Single(Assert.Single(viaNetlink.Namespaces, n => n.IsHost).SocketTables,
            t => (t.Protocol, t.Family) == (SocketProtocol.Tcp, SocketFamily.Ipv4)).Source);

        foreach (ScrapeSnapshot snapshot in new[] { viaNetlink, viaProcNet })
        {
            Assert.Null(snapshot.ProcessError);
            SocketEntry listener = Assert.Single(snapshot.Sockets,
                s => s.Protocol == SocketProtocol.Tcp && s.State == SocketState.Listen && s.LocalPort == trio.Port);
            Assert.Equal(trio.ListenerInode, listener.Inode);
            int self = IndexOf(snapshot, Environment.ProcessId);
            Assert.Contains(self, Owners(snapshot, listener.Inode));
            Assert.All(trio.Inodes, inode => Assert.Contains(self, Owners(snapshot, inode)));
            Assert.True(snapshot.Namespaces[0].IsListeningPort(SocketProtocol.Tcp, trio.Port));
        }
        Assert.Equal((uint)OwnTcpTrio.Backlog, Listener(viaNetlink, trio.Port).SendQueue);   // netlink knows the backlog
        Assert.Equal(0u, Listener(viaProcNet, trio.Port).SendQueue);                      // /proc/net does not
    }

    [Fact, Trait("Category", "Integration")]
    public async Task Build_OwnProcess_HasIdentityAndFdLimit()
    {
        ScrapeSnapshot snapshot = await new SnapshotBuilder(new SnapshotOptions { ProcNetOnly = true }).BuildAsync(CancellationToken.None);

        ProcessEntry self = snapshot.Processes[IndexOf(snapshot, Environment.ProcessId)];
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), self.Identity.PidText);
        Assert.True(self.FdsReadable);
        Assert.NotNull(self.FdLimit);
        Assert.True(self.FdLimit > 0);
        Assert.True(self.Fds.Total > 0);
        Assert.False(string.IsNullOrEmpty(self.Identity.Program));
    }

    [Fact, Trait("Category", "Integration")]
    public async Task Build_NonexistentProcfsPath_ReportsProcessErrorWithoutThrowing()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-proc-{Guid.NewGuid():N}");

        ScrapeSnapshot snapshot = await new SnapshotBuilder(new SnapshotOptions { ProcfsPath = missing }).BuildAsync(CancellationToken.None);

        Assert.NotNull(snapshot.ProcessError);
        Assert.Contains(missing, snapshot.ProcessError?.ToString());
        Assert.Empty(snapshot.Processes);
        Assert.Equal(0, snapshot.Owners.SocketCount);
    }

    [Fact, Trait("Category", "Unit")]
    public async Task Build_NonexistentProcfsPathProcNetOnly_EveryTableFailsWithoutThrowing()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-proc-{Guid.NewGuid():N}");

        ScrapeSnapshot snapshot = await new SnapshotBuilder(new SnapshotOptions { ProcfsPath = missing, ProcNetOnly = true }).BuildAsync(CancellationToken.None);

        Assert.NotNull(snapshot.ProcessError);
        Assert.Equal(4, InetTables(snapshot).Length);
        Assert.All(snapshot.SocketTables, t => Assert.Equal(SocketSource.None, t.Source));
        Assert.All(snapshot.SocketTables, t => Assert.NotNull(t.Error));
        Assert.True(snapshot.SocketsFailed);
        Assert.Empty(snapshot.Sockets);
    }

    [Fact, Trait("Category", "Unit")]
    public async Task Build_CancelledToken_Throws()
    {
        var builder = new SnapshotBuilder(new SnapshotOptions { ProcfsPath = Fixture.Path("proc"), ProcNetOnly = true });

        await Assert.ThrowsAsync<OperationCanceledException>(() => builder.BuildAsync(new CancellationToken(canceled: true)));
    }

    // TCP and UDP over IPv4 and IPv6; other tables (AF_UNIX) are not what these tests are about.
    private static SocketTableStatus[] InetTables(ScrapeSnapshot snapshot) =>
        snapshot.SocketTables.Where(t => t.Protocol is SocketProtocol.Tcp or SocketProtocol.Udp).ToArray();

    private static SocketEntry Listener(ScrapeSnapshot snapshot, ushort port) =>
        snapshot.Sockets.Single(s => s.Protocol == SocketProtocol.Tcp && s.State == SocketState.Listen && s.LocalPort == port);

    private static int IndexOf(ScrapeSnapshot snapshot, int pid)
    {
        int index = -1;
        for (int i = 0; i < snapshot.Processes.Count; i++)
            if (snapshot.Processes[i].Pid == pid)
            {
                Assert.Equal(-1, index);   // listed once
                index = i;
            }
        Assert.True(index >= 0, $"pid {pid} is not in the snapshot");
        return index;
    }

    private static List<int> Owners(ScrapeSnapshot snapshot, ulong inode)
    {
        var owners = new List<int>();
        foreach (int process in snapshot.Owners.GetOwners(inode))
            owners.Add(process);
        return owners;
    }
}
