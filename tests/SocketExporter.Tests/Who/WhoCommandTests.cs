using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Who;

/// <summary>
/// `socket_exporter who` run as a process against real sockets and devices, compared with ss, lsof and fuser run at
/// the same moment on the same holders (a prefork listener: parent + forked child; an IPv6-only listener; a UDP
/// socket; a device opened through a second node; a busy tmpfs).
/// </summary>
[Trait("Category", "Integration")]
public sealed class WhoCommandTests
{
    private sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public List<JsonElement> Rows => JsonDocument.Parse(Stdout).RootElement.EnumerateArray().Select(e => e.Clone()).ToList();

        public SortedSet<int> Pids => [.. Rows.Where(r => r.GetProperty("pid").ValueKind == JsonValueKind.Number).Select(r => r.GetProperty("pid").GetInt32())];
    }

    private static Result Who(IReadOnlyList<string> prefix, params string[] args)
    {
        (int exitCode, string stdout, string stderr) = WhoRun.Run(prefix, args);
        return new Result(exitCode, stdout, stderr);
    }

    private static Result Who(params string[] args) => Who([], args);

    /// <summary>Pids `ss -Htulnp` shows for the listeners on one port ("users:((\"python3\",pid=5,fd=3),…)").</summary>
    private static SortedSet<int> SsPids(string protocolFlag, int port) =>
        [.. ToolRunner.Run("ss", "-Hlnp" + protocolFlag, $"sport = :{port}").Split('\n')
            .SelectMany(line => Regex.Matches(line, @"pid=(\d+)").Select(m => int.Parse(m.Groups[1].Value)))];

    /// <summary>`lsof -t` prints one pid per line; exit 1 when none.</summary>
    private static SortedSet<int> LsofPids(string selector) =>
        [.. ToolRunner.Run("lsof", ["-nP", "-t", "-i", selector], TimeSpan.FromSeconds(60), acceptedExitCodes: [0, 1])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];

    /// <summary>fuser prints pids on stdout (the name and access letters on stderr); exit 1 when none.</summary>
    private static SortedSet<int> FuserPids(params string[] args) =>
        [.. Regex.Matches(ToolRunner.Run("fuser", args, TimeSpan.FromSeconds(60), acceptedExitCodes: [0, 1]), @"\d+").Select(m => int.Parse(m.Value))];

    [Fact]
    public void PreforkListener_PidsEqualSsLsofAndFuser_AndTableCollapsesThem()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        int port = holder.Int("shared_port");
        SortedSet<int> expected = [holder.Pid, holder.Int("child_pid")];

        Result json = Who($"tcp:{port}", "--output=json");
        Assert.Equal(0, json.ExitCode);
        SortedSet<int> listening = [.. json.Rows.Where(r => r.GetProperty("state").GetString() == "listen").Select(r => r.GetProperty("pid").GetInt32())];
        Assert.Equal(expected, listening);
        Assert.Equal(SsPids("t", port), listening);
        // lsof -i and fuser PORT/tcp also list the connections on the port, which parent and child both hold.
        Assert.Equal(LsofPids($"tcp:{port}"), json.Pids);
        Assert.Equal(FuserPids($"{port}/tcp"), json.Pids);
        JsonElement row = json.Rows.First(r => r.GetProperty("state").GetString() == "listen");
        Assert.Equal(("tcp", "127.0.0.1", port, "host", "root"), (row.GetProperty("protocol").GetString(), row.GetProperty("address").GetString(),
            row.GetProperty("port").GetInt32(), row.GetProperty("netns").GetString(), row.GetProperty("user").GetString()));
        Assert.Equal(2, json.Rows.Count(r => r.GetProperty("state").GetString() == "established" && r.GetProperty("pid").GetInt32() == holder.Pid));

        Result table = Who($":{port}");
        Assert.Equal(0, table.ExitCode);
        string line = Assert.Single(table.Stdout.Split('\n'), l => l.Contains($"127.0.0.1:{port} "));
        Assert.Contains($"python3 ×2: {expected.Min} {expected.Max}", line);
        Assert.Contains("established 2", line);
        Assert.Contains("0/16", line);   // accept queue 0 of backlog 16
    }

    [Fact]
    public void Ipv6OnlyAndUdp_PidsEqualSsLsofAndFuser()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        int v6 = holder.Int("v6only_port"), udp = holder.Int("udp_port");
        SortedSet<int> expected = [holder.Pid, holder.Int("child_pid")];

        Result six = Who($"tcp:{v6}", "--output", "json");
        Assert.Equal(0, six.ExitCode);
        Assert.Equal(expected, six.Pids);
        Assert.Equal(SsPids("t", v6), six.Pids);
        Assert.Equal(LsofPids($"tcp:{v6}"), six.Pids);
        Assert.Equal(FuserPids($"{v6}/tcp"), six.Pids);
        Assert.All(six.Rows, r => Assert.Equal("::1", r.GetProperty("address").GetString()));
        Assert.Contains($"[::1]:{v6}", Who($"{v6}").Stdout);

        Result u = Who($"udp:{udp}", "--output=json");
        Assert.Equal(0, u.ExitCode);
        Assert.Equal(expected, u.Pids);
        Assert.Equal(SsPids("u", udp), u.Pids);
        Assert.Equal(FuserPids($"{udp}/udp"), u.Pids);
        Assert.All(u.Rows, r => Assert.Equal("udp", r.GetProperty("protocol").GetString()));

        // No target: every listener, ours among them on one line each.
        Result all = Who();
        Assert.Equal(0, all.ExitCode);
        Assert.Single(all.Stdout.Split('\n'), l => l.Contains($"127.0.0.1:{udp} ") && l.StartsWith("udp"));
        Assert.Single(all.Stdout.Split('\n'), l => l.Contains($"[::1]:{v6} ") && l.StartsWith("tcp"));
    }

    [Fact]
    public void ProcessTarget_ListsItsListenersConnectionsAndDevices()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        Result json = Who($"pid:{holder.Pid}", "--output=json");
        Assert.Equal(0, json.ExitCode);
        Assert.Equal([holder.Pid], json.Pids);
        // What lsof sees of the process's inet sockets (one line per descriptor, so distinct ports).
        var lsofPorts = ToolRunner.Run("lsof", "-nP", "-a", "-p", holder.Pid.ToString(), "-i", "-F", "n").Split('\n')
            .Where(l => l.StartsWith('n')).Select(l => int.Parse(Regex.Match(l, @":(\d+)(->|$)").Groups[1].Value)).ToHashSet();
        Assert.Equal(lsofPorts.Order(), json.Rows.Select(r => r.GetProperty("port").GetInt32()).Distinct().Order());
        Assert.Contains(holder.Int("backlog_port").ToString(), Who($"pid:{holder.Pid}").Stdout);
    }

    [Fact]
    public void DeviceThroughSecondNode_HoldersByDeviceNumber_IncludeFuserOnThatNode()
    {
        string workdir = Directory.CreateTempSubdirectory("socket-exporter-who-").FullName;
        try
        {
            using HolderProcess holder = HolderProcess.Start("fds", workdir);
            string alias = Path.Combine(workdir, "kmsg-alias");
            Result viaAlias = Who(alias, "--output=json");
            Result viaDev = Who("/dev/kmsg", "--output=json");
            Assert.Equal(0, viaAlias.ExitCode);
            Assert.Contains(holder.Pid, viaAlias.Pids);
            // Matched by device number: the same holders whichever node names the device.
            Assert.Equal(viaAlias.Pids, viaDev.Pids);
            // fuser matches the node's inode: on the alias it sees exactly our holder, on /dev/kmsg it misses it.
            SortedSet<int> fuser = FuserPids(alias);
            Assert.Equal([holder.Pid], fuser);
            Assert.Subset(viaAlias.Pids, fuser);
            Assert.DoesNotContain(holder.Pid, FuserPids("/dev/kmsg"));
            Assert.Contains("/dev/kmsg", Assert.Single(Who(alias).Stdout.Split('\n'), l => l.Contains($"python3 {holder.Pid}")));
        }
        finally
        {
            Directory.Delete(workdir, recursive: true);
        }
    }

    [Fact]
    public void BusyMount_HoldersEqualFuserVm()
    {
        string mount = Directory.CreateTempSubdirectory("socket-exporter-who-mnt-").FullName;
        ToolRunner.Run("mount", "-t", "tmpfs", "-o", "size=1m", "socket-exporter-who", mount);
        var holders = new List<HolderProcess>();
        try
        {
            foreach (string mode in new[] { "cwd", "fd", "mmap" })
                holders.Add(HolderProcess.Start("busy", mode, mount));
            Result json = Who(mount, "--output=json");
            Assert.Equal(0, json.ExitCode);
            Assert.Equal(FuserPids("-m", mount), json.Pids);
            Assert.Subset(json.Pids, holders.Select(h => h.Pid).ToHashSet());
            // Access letters as `fuser -vm` marks them (rows "[PATH:] USER PID ACCESS COMMAND", pid on stdout, rest on stderr).
            string verbose = ToolRunner.Run("bash", ["-c", "fuser -v -m \"$1\" 2>&1", "fuser", mount], TimeSpan.FromSeconds(60), acceptedExitCodes: [0, 1]);
            var fuserAccess = Regex.Matches(verbose, @"^\S*\s*\S+\s+(\d+)\s+([.a-zA-Z]{5})\s", RegexOptions.Multiline)
                .ToDictionary(m => int.Parse(m.Groups[1].Value), m => string.Concat(m.Groups[2].Value.Replace(".", "").ToLowerInvariant().Order()));
            foreach (JsonElement row in json.Rows)
                Assert.Equal(fuserAccess[row.GetProperty("pid").GetInt32()], row.GetProperty("access").GetString());
            foreach ((HolderProcess h, char mark) in holders.Zip("cfm"))
                Assert.Contains(mark, json.Rows.Single(r => r.GetProperty("pid").GetInt32() == h.Pid).GetProperty("access").GetString()!);
        }
        finally
        {
            foreach (HolderProcess h in holders) h.Dispose();
            ToolRunner.Run("umount", ["-l", mount], TimeSpan.FromSeconds(30));
            Directory.Delete(mount);
        }
    }

    [Theory]
    [InlineData(":99999")]
    [InlineData("tcp:")]
    [InlineData("pid:abc")]
    [InlineData("/nonexistent/socket-exporter-who")]
    [InlineData("--output=yaml")]
    public void BadTarget_OneLineOnStderr_Exit2(string target)
    {
        Result r = Who(target);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        string line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("socket_exporter who: ", line);
    }

    [Fact]
    public void NothingHolds_Exit1_AndSaysSo()
    {
        int port;
        using (HolderProcess holder = HolderProcess.Start("server"))
            port = holder.Int("port");   // closed once disposed: nothing of ours holds it now
        Result r = Who($"tcp:{port}");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"nothing holds tcp port {port}", r.Stderr);
        Assert.Equal("[]", Who($"tcp:{port}", "--output=json").Stdout.Trim());
    }

    [Fact]
    public void AsNobody_RootListener_SaysWhoItCannotSee()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        int port = holder.Int("shared_port");
        Result r = Who(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", "HOME=/tmp"], $"tcp:{port}", "--output=json");
        Assert.Equal(0, r.ExitCode);   // the sockets are there, only their holders are hidden
        Assert.NotEmpty(r.Rows);
        Assert.Empty(r.Pids);
        Assert.Contains($"on :{port} belong to processes you cannot read — run as root", r.Stderr);
    }
}
