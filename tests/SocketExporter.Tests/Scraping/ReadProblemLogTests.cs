using Microsoft.Extensions.Logging;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Scraping;

namespace SocketExporter.Tests.Scraping;

/// <summary>Read problems reach the log once when they appear and once when they clear, grouped so a node does not
/// get one line per table or per pod.</summary>
[Trait("Category", "Unit")]
public sealed class ReadProblemLogTests
{
    private const int EPERM = 1, ENOENT = 2, EACCES = 13, EMFILE = 24, EINVAL = 22;
    private static readonly ReadFailure Eperm = new("setns", EPERM);   // "setns: EPERM: operation not permitted"
    private static readonly ListenDropCounters Counters = new(0, 0);

    private sealed class LineLog : ILogger
    {
        public readonly List<(LogLevel Level, string Text)> Lines = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));

        public List<(LogLevel Level, string Text)> Take()
        {
            List<(LogLevel Level, string Text)> taken = [.. Lines];
            Lines.Clear();
            return taken;
        }
    }

    private static SocketTableStatus Table(SocketProtocol protocol, SocketFamily family, SocketSource source, ReadFailure? netlinkError = null, ReadFailure? error = null) =>
        new(protocol, family, source, 0, 0, netlinkError, error);

    private static SocketTableStatus[] AllTables(SocketSource source, ReadFailure? netlinkError = null, ReadFailure? error = null) =>
    [
        Table(SocketProtocol.Tcp, SocketFamily.Ipv4, source, netlinkError, error),
        Table(SocketProtocol.Tcp, SocketFamily.Ipv6, source, netlinkError, error),
        Table(SocketProtocol.Udp, SocketFamily.Ipv4, source, netlinkError, error),
        Table(SocketProtocol.Udp, SocketFamily.Ipv6, source, netlinkError, error),
        Table(SocketProtocol.Unix, SocketFamily.Unix, source, netlinkError, error),
    ];

    private static NetNsSnapshot Host() => new()
    {
        Inode = 1, Label = "host", IsHost = true, Method = NetNsMethod.Netlink, ListenDrops = Counters,
        Sockets = [], SocketTables = AllTables(SocketSource.Netlink),
    };

    /// <summary>A foreign namespace read through /proc/PID/net because setns was refused, as without CAP_SYS_ADMIN.</summary>
    private static NetNsSnapshot WithoutSetns(ulong inode) => new()
    {
        Inode = inode, Label = inode.ToString(), Method = NetNsMethod.ProcFs, MethodError = Eperm, SetnsDenied = true, ListenDrops = Counters,
        Sockets = [], SocketTables = AllTables(SocketSource.ProcNet, netlinkError: Eperm),
    };

    private static ScrapeSnapshot Snapshot(params NetNsSnapshot[] namespaces) => Snapshot(null, namespaces);

    private static ScrapeSnapshot Snapshot(ReadFailure? processError, params NetNsSnapshot[] namespaces) => new()
    {
        Namespaces = namespaces, Processes = [], Owners = new SocketOwnerIndex(),
        ProcessError = processError,
    };

    [Fact]
    public void FullyReadSnapshot_HasNoProblems()
    {
        Assert.Empty(ReadProblemLog.Problems(Snapshot(Host())));
    }

    [Fact]
    public void LastingProblem_IsLoggedOnceThenOnceWhenCleared()
    {
        var log = new LineLog();
        var problems = new ReadProblemLog(log);

        problems.Observe(Snapshot(new ReadFailure("/host/proc", ENOENT), Host()));
        var (level, text) = Assert.Single(log.Take());
        Assert.Equal((LogLevel.Warning, "read problem with processes: /host/proc: ENOENT: no such file or directory"), (level, text));

        problems.Observe(Snapshot(new ReadFailure("/host/proc", ENOENT), Host()));
        Assert.Empty(log.Take());

        problems.Observe(Snapshot(Host()));
        Assert.Equal((LogLevel.Information, "read problem with processes cleared (read again, or gone)"), Assert.Single(log.Take()));

        problems.Observe(Snapshot(Host()));
        Assert.Empty(log.Take());
    }

    [Fact]
    public void SetnsRefusedInEveryNamespace_IsOneLineNotOnePerNamespaceOrTable()
    {
        var log = new LineLog();
        var problems = new ReadProblemLog(log);

        problems.Observe(Snapshot(Host(), WithoutSetns(4026531001), WithoutSetns(4026531002), WithoutSetns(4026531003)));
        Assert.Equal((LogLevel.Warning, "read problem with sock_diag in other network namespaces (they are read from /proc/PID/net): " +
            "setns: EPERM: the exporter lacks CAP_SYS_ADMIN (retried every 5 minutes)"), Assert.Single(log.Take()));

        // A pod starting in the same state adds nothing, nor does the reader's later wording of the same refusal.
        NetNsSnapshot later = WithoutSetns(4026531004);
        later = new NetNsSnapshot
        {
            Inode = later.Inode, Label = later.Label, Method = later.Method, SetnsDenied = true, ListenDrops = Counters, Sockets = [],
            MethodError = new ReadFailure("setns", EPERM, "no CAP_SYS_ADMIN; retried every 5 minutes"),
            SocketTables = AllTables(SocketSource.ProcNet, netlinkError: new ReadFailure("setns", EPERM, "no CAP_SYS_ADMIN; retried every 5 minutes")),
        };
        problems.Observe(Snapshot(Host(), WithoutSetns(4026531001), WithoutSetns(4026531002), WithoutSetns(4026531003), later));
        Assert.Empty(log.Take());
    }

    [Fact]
    public void NamespaceWithNothingReadable_NamesItsTablesOnceWithTheReason()
    {
        var log = new LineLog();
        var problems = new ReadProblemLog(log);
        var unreadable = new NetNsSnapshot
        {
            Inode = 4026532177, Label = "4026532177", Method = NetNsMethod.None,
            Sockets = [], SocketTables = AllTables(SocketSource.None, error: new ReadFailure("no process in this namespace to read /proc/[pid]/net from")),
        };

        problems.Observe(Snapshot(Host(), unreadable));
        Assert.Equal("read problem with netns 4026532177: read with none; tcp/ipv4, tcp/ipv6, udp/ipv4, udp/ipv6, unix/unix: " +
            "no process in this namespace to read /proc/[pid]/net from", Assert.Single(log.Take()).Text);

        // The namespace disappears with its last process: its problem clears.
        problems.Observe(Snapshot(Host()));
        Assert.Equal("read problem with netns 4026532177 cleared (read again, or gone)", Assert.Single(log.Take()).Text);
    }

    [Fact]
    public void OneTableFallingBack_AndMissingNetstat_AreNamedInTheNamespacesLine()
    {
        SocketTableStatus[] tables = AllTables(SocketSource.Netlink);
        tables[3] = Table(SocketProtocol.Udp, SocketFamily.Ipv6, SocketSource.ProcNet, netlinkError: new ReadFailure("NLMSG_DONE carried an error", EINVAL));
        NetNsSnapshot host = new()
        {
            Inode = 1, Label = "host", IsHost = true, Method = NetNsMethod.Netlink, ListenDrops = null,
            ListenDropsError = new ReadFailure("/proc/net/netstat", Detail: "line 2, field 3"), Sockets = [], SocketTables = tables,
        };

        Dictionary<string, string> problems = ReadProblemLog.Problems(Snapshot(host));
        Assert.Equal("read with netlink; udp/ipv6: NLMSG_DONE carried an error: EINVAL: invalid argument; " +
            "netstat counters: /proc/net/netstat: line 2, field 3", Assert.Single(problems, p => p.Key == "netns host").Value);
    }

    [Fact]
    public void UnreadableEphemeralPortRange_IsNamedWithTheRangeAssumed()
    {
        NetNsSnapshot host = Host();
        host = new NetNsSnapshot
        {
            Inode = host.Inode, Label = host.Label, IsHost = true, Method = host.Method, ListenDrops = Counters, Sockets = [],
            SocketTables = host.SocketTables, EphemeralPortsError = new ReadFailure("/proc/sys/net/ipv4/ip_local_port_range", ENOENT),
        };
        Assert.Equal("read with netlink; ephemeral port range (assumed 32768-60999): /proc/sys/net/ipv4/ip_local_port_range: ENOENT: no such file or directory",
            Assert.Single(ReadProblemLog.Problems(Snapshot(host)))!.Value);
    }

    [Fact]
    public void ChangedReason_IsLoggedAgain()
    {
        var log = new LineLog();
        var problems = new ReadProblemLog(log);
        problems.Observe(Snapshot(new ReadFailure("/proc", EACCES), Host()));
        problems.Observe(Snapshot(new ReadFailure("/proc", EACCES), Host()));   // an equal value: nothing new
        problems.Observe(Snapshot(new ReadFailure("/proc", EMFILE), Host()));
        Assert.Equal(["read problem with processes: /proc: EACCES: permission denied", "read problem with processes: /proc: errno 24: Too many open files"],
            log.Take().Select(l => l.Text));
    }

    [Fact]
    public void SockDiagTurnedOffByConfiguration_IsAChoiceNotAProblem()
    {
        var off = new ReadFailure("setns disabled by --netns.method=procfs");
        var configured = new NetNsSnapshot
        {
            Inode = 9, Label = "9", Method = NetNsMethod.ProcFs, MethodError = off, SockDiagDisabled = true, ListenDrops = Counters,
            Sockets = [], SocketTables = AllTables(SocketSource.ProcNet, netlinkError: off),
        };
        Assert.Empty(ReadProblemLog.Problems(Snapshot(Host(), configured)));
    }

    [Fact]
    public void NamespaceWhosePidLeftBeforeSetns_IsItsOwnProblem_NotAPrivilegeOne()
    {
        var gone = new ReadFailure("/proc/4242/ns/net", Detail: "no longer namespace 4026531009");
        var ns = new NetNsSnapshot
        {
            Inode = 4026531009, Label = "4026531009", Method = NetNsMethod.ProcFs, MethodError = gone, ListenDrops = Counters,
            Sockets = [], SocketTables = AllTables(SocketSource.ProcNet, netlinkError: gone),
        };
        KeyValuePair<string, string> problem = Assert.Single(ReadProblemLog.Problems(Snapshot(Host(), ns)));
        Assert.Equal(("netns 4026531009", "read with procfs; " + gone), (problem.Key, problem.Value));
    }

    [Fact]
    public void ProblemOfANamespaceSkippedAtTheDeadline_StandsUntilItIsReadAgain()
    {
        var log = new LineLog();
        var problems = new ReadProblemLog(log);
        NetNsSnapshot Unreadable(bool skipped) => new()
        {
            Inode = 7, Label = "7", Method = skipped ? NetNsMethod.Skipped : NetNsMethod.None, Sockets = [],
            SocketTables = skipped ? [] : AllTables(SocketSource.None, error: new ReadFailure("no process in this namespace to read /proc/[pid]/net from")),
        };

        problems.Observe(Snapshot(Host(), Unreadable(skipped: false), WithoutSetns(8)));
        Assert.Equal(2, log.Take().Count);
        problems.Observe(Snapshot(Host(), Unreadable(skipped: true), Skipped(WithoutSetns(8))));
        Assert.Empty(log.Take());   // not "cleared": nobody looked
        problems.Observe(Snapshot(Host()));
        Assert.Equal(2, log.Take().Count(l => l.Level == LogLevel.Information));

        static NetNsSnapshot Skipped(NetNsSnapshot ns) => new()
        {
            Inode = ns.Inode, Label = ns.Label, Method = NetNsMethod.Skipped,
            MethodError = new ReadFailure("not read: the scrape deadline had passed"), Sockets = [], SocketTables = [],
        };
    }

    [Fact]
    public void NamespaceSkippedAtTheDeadline_IsNotAReadProblem()
    {
        var skipped = new NetNsSnapshot
        {
            Inode = 7, Label = "7", Method = NetNsMethod.Skipped, MethodError = new ReadFailure("not read: the scrape deadline had passed"),
            Sockets = [], SocketTables = [],
        };
        Assert.Empty(ReadProblemLog.Problems(Snapshot(Host(), skipped)));
    }

    [Fact]
    public void ManyNewProblemsAtOnce_AreCappedWithACount()
    {
        var log = new LineLog();
        var problems = new ReadProblemLog(log);
        NetNsSnapshot[] broken = Enumerable.Range(0, 25).Select(i => new NetNsSnapshot
        {
            Inode = (ulong)(100 + i), Label = (100 + i).ToString(), Method = NetNsMethod.None,
            Sockets = [], SocketTables = AllTables(SocketSource.None, error: new ReadFailure("gone")),
        }).ToArray();

        problems.Observe(Snapshot([Host(), .. broken]));
        var lines = log.Take();
        Assert.Equal(ReadProblemLog.MaxNewPerScrape + 1, lines.Count);
        Assert.Equal("and 15 more read problems in this scrape", lines[^1].Text);
    }

    [Fact]
    public void UnreadableDescriptorsAndACopiedProcRoot_AreLoggedOnceWhateverTheCounts()
    {
        var log = new LineLog();
        var problems = new ReadProblemLog(log);
        ScrapeSnapshot With(int tooLong) => new()
        {
            Namespaces = [Host()], Processes = [], Owners = new SocketOwnerIndex(),
            UnreadableDescriptors = new FdReadProblems { NameTooLong = tooLong },
            ProcRoot = ProcRootStatus.Judge(0xef53, 3),   // ext4 with pid directories: a copy
        };

        problems.Observe(With(1));
        var lines = log.Take();
        Assert.Equal(2, lines.Count);
        Assert.Contains(lines, l => l.Text.Contains("descriptor links") && l.Text.Contains("name_too_long"));
        Assert.Contains(lines, l => l.Text.Contains("is not a proc filesystem (statfs f_type 0xef53): read as a copy"));

        problems.Observe(With(5));   // more of the same: not logged again
        Assert.Empty(log.Take());
    }
}
