using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Faults;

/// <summary>
/// Injected fault (issue 16, item 4): a read-only or full /tmp. The exporter has nothing to write, so neither may
/// matter: it runs in a mount namespace of its own (unshare --mount, private propagation) where /tmp is a tmpfs mounted
/// read-only, or a tiny one filled to the last block, with TMPDIR pointing there too; it starts, serves every path,
/// attributes a listener this test holds, and logs no error. A writable empty /tmp shows what it writes when it can:
/// nothing but the .NET runtime's diagnostic endpoints (dotnet-diagnostic-PID-…-socket and the clr-debug-pipe-PID-…
/// FIFOs, which the runtime skips silently when it cannot create them, and which the container image turns off with DOTNET_EnableDiagnostics=0).
/// </summary>
[Trait("Category", "Integration")]
public sealed class UnwritableTmpTests
{
    [Theory]
    [InlineData("read-only", "mount -t tmpfs -o ro,size=1m socket-exporter-ro TMP")]
    // A 64 KiB tmpfs filled by dd until ENOSPC (dd then exits non-zero, hence the || true).
    [InlineData("full", "mount -t tmpfs -o size=64k socket-exporter-full TMP && { dd if=/dev/zero of=TMP/fill bs=4k 2>/dev/null || true; }")]
    [InlineData("writable", "mount -t tmpfs -o size=1m socket-exporter-rw TMP")]
    public void Tmp_ReadOnlyOrFull_ExporterServesNormally(string kind, string mountTmp)
    {
        // A checkout under /tmp (a CI clone) would vanish under a tmpfs mounted on /tmp, and the exporter with it: there
        // the tmpfs goes on a directory of its own, which TMPDIR names (what .NET and the runtime's endpoints use).
        string target = RepoPaths.Root.StartsWith("/tmp/", StringComparison.Ordinal) || AppContext.BaseDirectory.StartsWith("/tmp/", StringComparison.Ordinal)
            ? Directory.CreateDirectory($"/run/socket-exporter-tmp-{Environment.ProcessId}-{kind}").FullName
            : "/tmp";
        mountTmp = mountTmp.Replace("TMP", target, StringComparison.Ordinal);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        using ExporterProcess exporter = ExporterProcess.Start(command:
        [
            "unshare", "--mount", "--propagation", "private", "bash", "-c",
            mountTmp + $" && exec env TMPDIR={target} \"$@\"", "bash", "dotnet", RepoPaths.ExporterDll,
        ]);
        int pid = exporter.Pid;   // unshare without --fork execs bash, which execs the exporter
        string tmp = $"/proc/{pid}/root{target}";   // the exporter's /tmp, seen through its mount namespace
        if (kind == "full")
            Assert.True(new DriveInfo(tmp).AvailableFreeSpace < 4096, $"{tmp} is not full");

        for (int i = 0; i < 5; i++)
        {
            MetricSet m = exporter.ScrapeMetrics();   // throws on any non-200
            Assert.Single(m.Named("socket_listening"), s => s["port"] == port && s["pid"] == Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            Assert.Single(m.Named("socket_exporter_build_info"));
        }
        foreach (string path in new[] { "/", "/-/healthy", "/-/ready" })
            exporter.Scrape(path);
        Assert.DoesNotContain("fail", exporter.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("exception", exporter.Stderr, StringComparison.OrdinalIgnoreCase);

        // What is in /tmp now is the runtime's diagnostic endpoints at most (a socket and two FIFOs, which take no
        // blocks, so a full tmpfs still holds them); nothing of the exporter's own.
        string[] written = [.. Directory.GetFileSystemEntries(tmp).Select(p => Path.GetFileName(p)).Where(n => n != "fill")];
        Assert.All(written, n => Assert.True(n.StartsWith("dotnet-diagnostic-", StringComparison.Ordinal)
            || n.StartsWith("clr-debug-pipe-", StringComparison.Ordinal), $"the exporter wrote {n} to /tmp"));
        if (kind == "writable")
            Assert.NotEmpty(written);   // the runtime writes here when it can, so the check above is not of an empty set
        else if (kind == "read-only")
            Assert.Empty(written);
        if (target != "/tmp")
            Directory.Delete(target);   // empty on the host: the tmpfs was mounted only in the exporter's mount namespace
    }
}
