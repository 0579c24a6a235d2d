using System.Diagnostics;
using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Namespaces;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Reading;

/// <summary>
/// Reads the socket tables of every discovered network namespace, each once: the exporter's own directly;
/// the others through a sock_diag socket created inside them by <see cref="NetNsWorker"/> (needs CAP_SYS_ADMIN),
/// else from /proc/[pid]/net of a process inside (no privilege needed). Every per-namespace socket is closed
/// before returning: an open socket would keep its namespace alive.
/// </summary>
public sealed class NetNsSocketReader(string procfsPath, bool procNetOnly, bool useSetns, SocketScope? scope = null) : IDisposable
{
    private readonly SocketScope _scope = scope ?? SocketScope.Everything;
    private readonly NetNsWorker _worker = new();
    // Socket lists per namespace, reused scrape after scrape (a 20,000-socket list is a large-object-heap
    // allocation; reallocating it every scrape forced a full GC each time). Valid until the next Read.
    private Dictionary<ulong, (List<SocketEntry> Inet, List<UnixSocketEntry> Unix, List<TcpInfoEntry> TcpInfo)> _buffers = [];

    /// <summary>
    /// TCP and UDP sockets from which another namespace's tables are dumped whole with sock_diag (when it could setns)
    /// rather than read from its /proc/PID/net text. A full dump walks the kernel's host-wide socket hash tables, about
    /// 1.4 ms per table here whatever the namespace holds, so most namespaces, which are small, are cheaper as text;
    /// text costs about 3× per socket what sock_diag costs, so a busy one (an ingress pod) is cheaper dumped.
    /// Decided on the namespace's count at the previous scrape.
    /// </summary>
    public const int BusyNamespaceSockets = 2000;
    // Without CAP_SYS_ADMIN every setns fails with EPERM: stop asking for a while instead of failing every scrape.
    private static readonly TimeSpan SetnsRetryAfterDenial = TimeSpan.FromMinutes(5);
    private DateTime _setnsDeniedUntil = DateTime.MinValue;

    /// <summary>
    /// Reading lanes at most: each lane is a pool work item that takes the next namespace not yet taken, with its own file
    /// buffer and dedupe set. A lane is worth starting as soon as there is a namespace for it (starting one costs
    /// microseconds, a namespace at least one ~1.4 ms dump). Two because two gave the measured gain on two cores
    /// (bench/netns.sh, 30 namespaces: 7.0 → 1.8 ms per extra namespace together with the /proc/PID/net text) while the
    /// process walk runs beside them on its own thread: more lanes would only take cores from the walk.
    /// </summary>
    public const int MaximumLanes = 2;

    // Why a namespace's sock_diag or contents were not read, when every namespace of a scrape has the same reason.
    private static readonly ReadFailure SockDiagDisabled = new("sock_diag disabled by --socket.source=procfs");
    private static readonly ReadFailure SetnsDisabled = new("setns disabled by --netns.method=procfs");
    private static readonly ReadFailure NotReadAtDeadline = new("not read: the scrape deadline had passed");
    private static readonly ReadFailure NoProcessForNetstat = new("no process in this namespace to read /proc/[pid]/net/netstat from");

    /// <param name="pastDeadline">Asked before each other namespace: once true, the remaining ones are skipped (and marked
    /// so). The exporter's own namespace and the host's are always read.</param>
    /// <remarks>Awaits the namespace worker thread (setns) for the sock_diag sockets of other namespaces, then reads the
    /// tables in <see cref="MaximumLanes"/> pool work items; completes once every lane has finished with the reused buffers.</remarks>
    public async Task<List<NetNsSnapshot>> ReadAsync(IReadOnlyList<NetNsTarget> targets, Func<bool>? pastDeadline = null)
    {
        NetNsOpenResult?[] opened = await OpenForeignAsync(targets).ConfigureAwait(false);
        var buffers = new Dictionary<ulong, (List<SocketEntry>, List<UnixSocketEntry>, List<TcpInfoEntry>)>(targets.Count);
        var jobs = new Job[targets.Count];
        for (int i = 0; i < targets.Count; i++)
        {
            NetNsTarget target = targets[i];
            SockDiagClient? client = null;
            ReadFailure? clientError;
            EphemeralPortRange? localPorts = null;
            ReadFailure? localPortsError = null;   // null without a range: not entered (clientError says why), or the own namespace
            bool disabled = false;   // by configuration: a choice, not a failure
            bool denied = false;     // setns refused for want of CAP_SYS_ADMIN
            if (procNetOnly)
                (clientError, disabled) = (SockDiagDisabled, true);
            else if (target.IsOwn)
            {
                int errno = SockDiagClient.TryOpen(out client);
                clientError = errno == 0 ? null : new ReadFailure("socket(AF_NETLINK, NETLINK_SOCK_DIAG)", errno);
            }
            else if (opened[i] is { } open)
            {
                client = open.Client;
                clientError = open.Error;
                denied = open.Errno == Constants.EPERM;
                (localPorts, localPortsError) = (open.LocalPorts, open.LocalPortsError);
            }
            else
                (clientError, disabled) = (SetnsDisabled, true);

            string? procNet = target.IsOwn ? Path.Combine(procfsPath, "net")
                : target.Pid is int pid ? Path.Combine(procfsPath, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "net")
                : null;
            if (!_buffers.TryGetValue(target.Inode, out var buffer))
                buffer = ([], [], []);
            buffers[target.Inode] = buffer;
            // /proc/PID/net shows the namespace PID is in at the moment of the read: if PID exited and the number was
            // reused in between, it would show another namespace's sockets. Its ns link is checked after the read.
            string? nsLink = !target.IsOwn && target.Pid is int member
                ? Path.GetFullPath(Path.Combine(procfsPath, member.ToString(System.Globalization.CultureInfo.InvariantCulture), "ns", "net"))
                : null;
            // The buffer still holds the last scrape's sockets: a namespace that was busy then is dumped whole.
            bool inetFromProcNet = !target.IsOwn && buffer.Item1.Count < BusyNamespaceSockets;
            jobs[i] = new Job(target, client, clientError, disabled, denied, inetFromProcNet, procNet, nsLink, buffer.Item1, buffer.Item2, buffer.Item3)
            {
                LocalPorts = localPorts,
                LocalPortsError = localPortsError,
                // The own namespace's sysctl is read by the lane like its tables: whatever proc mount, it is the reader's.
                ReadLocalPortsFrom = target.IsOwn ? procfsPath : null,
                NsPath = target.NsPath(procfsPath),
            };
        }
        _buffers = buffers;   // namespaces that are gone drop their buffers

        // Each namespace costs several kernel walks of the socket hash tables (~1.4 ms per dump here): lanes read
        // them side by side, each taking the next namespace not yet taken.
        var result = new NetNsSnapshot[jobs.Length];
        var queue = new JobQueue(jobs);
        try
        {
            var lanes = new Task[Math.Min(MaximumLanes, jobs.Length)];
            for (int l = 0; l < lanes.Length; l++)
            {
                Lane lane = _lanes[l];
                lanes[l] = Task.Run(() => ReadLane(queue, lane, result, _scope, pastDeadline));
            }
            // WhenAll completes only once every lane has stopped, failed or not: none is left running on reused buffers.
            await Task.WhenAll(lanes).ConfigureAwait(false);
        }
        finally
        {
            // A lane that failed part-way leaves clients unread: close them all (disposal is idempotent), since an
            // open netlink socket keeps its namespace alive.
            foreach (Job job in jobs)
                job.Client?.Dispose();
        }
        return [.. result];
    }

    private sealed record Job(NetNsTarget Target, SockDiagClient? Client, ReadFailure? ClientError, bool SockDiagDisabled, bool SetnsDenied,
        bool InetFromProcNet, string? ProcNet, string? NsLink,
        List<SocketEntry> Sockets, List<UnixSocketEntry> Unix, List<TcpInfoEntry> TcpInfo)
    {
        public EphemeralPortRange? LocalPorts { get; init; }
        public ReadFailure? LocalPortsError { get; init; }
        public string? ReadLocalPortsFrom { get; init; }
        public string? NsPath { get; init; }
    }

    private sealed class Lane
    {
        public readonly SocketTableReader Tables = new();
        public readonly ProcFileReader Files = new();
        public readonly HashSet<ulong> Seen = [];
    }

    private readonly Lane[] _lanes = [.. Enumerable.Range(0, MaximumLanes).Select(_ => new Lane())];

    /// <summary>The jobs of one read, handed out once each to whichever lane asks first.</summary>
    private sealed class JobQueue(Job[] jobs)
    {
        private int _next = -1;

        public Job[] Jobs => jobs;

        public bool TryTake(out int index)
        {
            index = Interlocked.Increment(ref _next);
            return index < jobs.Length;
        }
    }

    private static void ReadLane(JobQueue queue, Lane lane, NetNsSnapshot[] result, SocketScope scope, Func<bool>? pastDeadline)
    {
        while (queue.TryTake(out int i))
        {
            Job job = queue.Jobs[i];
            job.Sockets.Clear();
            job.Unix.Clear();
            job.TcpInfo.Clear();
            if (!job.Target.IsOwn && !job.Target.IsHost && pastDeadline is not null && pastDeadline())
            {
                job.Client?.Dispose();
                result[i] = new NetNsSnapshot
                {
                    Inode = job.Target.Inode,
                    Label = job.Target.Label,
                    IsHost = job.Target.IsHost,
                    NsPath = job.NsPath,
                    Method = NetNsMethod.Skipped,
                    MethodError = NotReadAtDeadline,
                    Sockets = job.Sockets,
                    UnixSockets = job.Unix,
                    SocketTables = [],
                };
                continue;
            }
            List<SocketTableStatus> tables;
            IReadOnlyDictionary<uint, string>? interfaces;
            var raw = new List<RawSocketEntry>();
            ReadFailure? rawError = !scope.Details ? null
                : job.ProcNet is null ? SocketTableReader.NoProcess
                : RawSocketReader.Read(lane.Files, job.ProcNet, raw);
            long dumpedAtMs = Environment.TickCount64;
            using (job.Client)
            {
                tables = lane.Tables.Read(job.Client, job.ClientError, job.ProcNet, job.Sockets, job.Unix,
                    job.InetFromProcNet, scope, scope.TcpInfo ? job.TcpInfo : null);
                // ifindexes name devices of this namespace only: bound listeners' and packet sockets' interfaces.
                interfaces = scope.Details ? job.Client?.ReadInterfaceNames(job.Sockets, raw) : null;
            }
            ReadFailure? dropsError = null;
            ListenDropCounters? drops = scope.Details ? ReadListenDrops(lane.Files, job.ProcNet, out dropsError) : null;
            if (job.NsLink is not null && (drops is not null || raw.Count > 0 || tables.Any(t => t.Source == SocketSource.ProcNet))
                && !StillIn(job.NsLink, job.Target.Inode))
            {
                // Nothing of this read can be trusted to be this namespace's: report the namespace unread this scrape.
                drops = null;
                dropsError = null;   // the tables say why
                raw.Clear();
                ReadFailure left = new(job.NsLink, Detail: $"left namespace {job.Target.Inode} during the read (process gone)");
                rawError = left;
                job.Sockets.Clear();
                job.Unix.Clear();
                job.TcpInfo.Clear();
                tables = tables.Select(t => t with { Source = SocketSource.None, Sockets = 0, BadRecords = 0, BacklogKnown = false, TcpInfo = false, Error = left }).ToList();
            }
            RemoveDuplicatesAndBoundOnly(job.Sockets, lane.Seen, scope.LocalPort);
            EphemeralPortRange? localPorts = job.LocalPorts;
            ReadFailure? localPortsError = job.LocalPortsError;
            if (job.ReadLocalPortsFrom is not null && scope.Details)
                localPorts = LocalPortRangeReader.Read(lane.Files, job.ReadLocalPortsFrom, out localPortsError);

            NetNsMethod viaNetlink = job.Target.IsOwn ? NetNsMethod.Netlink : NetNsMethod.Setns;
            NetNsMethod method = tables.All(t => t.Source == SocketSource.None) ? NetNsMethod.None
                : tables.Any(t => t.Source == SocketSource.Netlink) ? viaNetlink
                : NetNsMethod.ProcFs;
            result[i] = new NetNsSnapshot
            {
                Inode = job.Target.Inode,
                Label = job.Target.Label,
                IsHost = job.Target.IsHost,
                NsPath = job.NsPath,
                Method = method,
                MethodError = job.ClientError,
                SockDiagDisabled = job.SockDiagDisabled,
                SetnsDenied = job.SetnsDenied,
                Sockets = job.Sockets,
                UnixSockets = job.Unix,
                SocketTables = tables,
                TcpInfo = job.TcpInfo,
                TcpInfoDumpedAtMs = dumpedAtMs,
                InterfaceNames = interfaces ?? new Dictionary<uint, string>(),
                ListenDrops = drops,
                ListenDropsError = dropsError,
                RawSockets = raw,
                RawSocketsError = rawError,
                EphemeralPorts = localPorts ?? EphemeralPortRange.NewNamespaceDefault,
                EphemeralPortsError = localPorts is null ? localPortsError : null,
            };
        }
    }

    /// <summary>The namespace's TcpExt listen counters, or null (and why) when its netstat file is missing, unreadable or malformed.</summary>
    private static ListenDropCounters? ReadListenDrops(ProcFileReader files, string? procNet, out ReadFailure? error)
    {
        if (procNet is null)
        {
            error = NoProcessForNetstat;
            return null;
        }
        string path = Path.Combine(procNet, "netstat");
        int errno = files.TryRead(null, path, out ReadOnlySpan<byte> text);
        if (errno != 0)
        {
            error = new ReadFailure(path, errno);
            return null;
        }
        if (!ProcNetstatParser.TryParseListenDrops(text, out ListenDropCounters counters, out ParseError parseError))
        {
            error = new ReadFailure(path, Detail: parseError.ToString());
            return null;
        }
        error = null;
        return counters;
    }

    private static bool StillIn(string nsLink, ulong inode) =>
        Libc.StatxFollow(PathBytes.ToNulTerminated(nsLink), out StatxBuffer stx) == 0 && stx.Ino == inode;

    private async Task<NetNsOpenResult?[]> OpenForeignAsync(IReadOnlyList<NetNsTarget> targets)
    {
        var opened = new NetNsOpenResult?[targets.Count];
        if (procNetOnly || !useSetns)
            return opened;
        if (DateTime.UtcNow < _setnsDeniedUntil)
        {
            for (int i = 0; i < targets.Count; i++)
                if (!targets[i].IsOwn)
                    opened[i] = new NetNsOpenResult(null, Constants.EPERM, new ReadFailure("setns", Constants.EPERM, "no CAP_SYS_ADMIN; retried every 5 minutes"));
            return opened;
        }
        var indexes = new List<int>();
        var fds = new List<SafeFd>();
        try
        {
            for (int i = 0; i < targets.Count; i++)
            {
                NetNsTarget t = targets[i];
                if (t.NsPath(procfsPath) is not string path) continue;
                // The pid found at discovery may have exited and been reused since: TryOpen checks the namespace is the one meant.
                int errno = NetNsVisitor.TryOpen(path, t.Inode, out SafeFd fd, out ReadFailure? failure);
                if (errno != 0)
                {
                    opened[i] = new NetNsOpenResult(null, errno, failure);
                    continue;
                }
                indexes.Add(i);
                fds.Add(fd);
            }
            if (fds.Count == 0)
                return opened;
            NetNsOpenResult[] results;
            try
            {
                // The worker's own thread enters each namespace; the fds stay open until it has answered.
                results = await _worker.OpenSockDiagAsync(fds).ConfigureAwait(false);
            }
            catch (InvalidOperationException e)
            {
                results = fds.Select(_ => new NetNsOpenResult(null, Constants.EIO, new ReadFailure("the namespace worker", Detail: e.Message))).ToArray();
            }
            for (int k = 0; k < indexes.Count; k++)
                opened[indexes[k]] = results[k];
            if (results.Length > 0 && results.All(r => r.Errno == Constants.EPERM))
                _setnsDeniedUntil = DateTime.UtcNow + SetnsRetryAfterDenial;
            return opened;
        }
        finally
        {
            foreach (SafeFd fd in fds) fd.Dispose();
        }
    }

    // Dumps are not atomic: a socket that moves between hash chains mid-dump can be reported twice.
    // A TCP socket that is only bound (bind() without listen() or connect()) is in state CLOSE: sock_diag reports it
    // from the kernel's bind table on recent kernels (seen on 6.18) when asked for TCP_BOUND_INACTIVE, which the dumps no
    // longer ask for (NetlinkConstants.InetDumpStates); /proc/net/tcp never lists it, and neither do `ss -tan` or
    // `lsof -i`. It is neither listening nor connected: any that arrives is dropped here, so both sources agree.
    // With a local port in scope, the other ports go too: the kernel filtered the dumps, but not /proc/net text.
    private static void RemoveDuplicatesAndBoundOnly(List<SocketEntry> sockets, HashSet<ulong> seen, ushort? localPort)
    {
        seen.Clear();
        int write = 0;
        for (int read = 0; read < sockets.Count; read++)
        {
            SocketEntry s = sockets[read];
            if (s.Inode != 0 && !seen.Add(s.Inode))
                continue;
            if (s.Protocol == SocketProtocol.Tcp && s.State == SocketState.Close)
                continue;
            if (localPort is ushort port && s.LocalPort != port)
                continue;
            sockets[write++] = s;
        }
        sockets.RemoveRange(write, sockets.Count - write);
    }

    public void Dispose() => _worker.Dispose();
}
