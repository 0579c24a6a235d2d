using System.Diagnostics;
using SocketExporter.Linux.Interop;
using SocketExporter.Linux.ProcFs;

namespace SocketExporter.Linux.Tests.ProcFs;

/// <summary>
/// Files that are not what procfs serves — a FIFO (open(2) blocks for good without O_NONBLOCK), a device that never
/// reaches EOF, a file past the cap — each fail with their own errno, promptly, instead of hanging or overflowing.
/// Each blocking case runs on its own thread with a generous wait, so a regression fails the test instead of hanging it.
/// </summary>
public sealed class ProcFileReaderTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("procfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static void MakeFifo(string path)
    {
        using Process mkfifo = Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    private static (int Errno, int Length) ReadWithin(string path, int maxBytes = ProcFileReader.SmallFileLimit)
    {
        (int, int) result = (-1, -1);
        var thread = new Thread(() =>
        {
            int errno = new ProcFileReader().TryRead(null, path, out ReadOnlySpan<byte> content, maxBytes);
            result = (errno, content.Length);
        }) { IsBackground = true };   // if open() blocks, the stuck thread must not keep the test host alive
        thread.Start();
        Assert.True(thread.Join(Generous), $"reading {path} did not return within {Generous.TotalSeconds} s");
        return result;
    }

    [Fact]
    public void TryRead_Fifo_IsNotRegularFileWithoutBlocking()
    {
        string fifo = Path.Combine(_dir, "stat");
        MakeFifo(fifo);
        Assert.Equal((Errno.NotRegularFile, 0), ReadWithin(fifo));
    }

    [Fact, Trait("Category", "Unit")]
    public void TryRead_SymlinkToDevZero_IsNotRegularFile()
    {
        string link = Path.Combine(_dir, "stat");
        File.CreateSymbolicLink(link, "/dev/zero");
        Assert.Equal((Errno.NotRegularFile, 0), ReadWithin(link));
    }

    [Fact, Trait("Category", "Unit")]
    public void TryRead_RegularFilePastCap_IsEfbig_AtCapIsRead()
    {
        string file = Path.Combine(_dir, "maps");
        File.WriteAllBytes(file, new byte[4097]);
        Assert.Equal((Errno.EFBIG, 0), ReadWithin(file, maxBytes: 4096));
        Assert.Equal((0, 4097), ReadWithin(file, maxBytes: 4097));
    }

    [Fact, Trait("Category", "Unit")]
    public void TryRead_RealProcfsFileOfSizeZero_IsReadWhole_AndCapHoldsWhenSizeReadsZero()
    {
        // /proc/self/maps says size 0 but has content: the cap must apply to what is read, not to the size.
        Assert.Equal(0L, new FileInfo("/proc/self/maps").Length);
        (int errno, int length) = ReadWithin("/proc/self/maps", ProcFileReader.TableLimit);
        Assert.Equal(0, errno);
        Assert.True(length > 100, $"read {length} bytes of /proc/self/maps");
        Assert.Equal(Errno.EFBIG, ReadWithin("/proc/self/maps", maxBytes: 64).Errno);
    }
}
