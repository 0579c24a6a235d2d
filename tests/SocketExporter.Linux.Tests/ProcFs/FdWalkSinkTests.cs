using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.ProcFs;

public sealed class FdWalkSinkTests
{
    [Fact, Trait("Category", "Unit")]
    public void ForgetProcess_AfterAPartialWalk_LeavesExactlyWhatTheEarlierProcessesRecorded()
    {
        var fs = new FilesystemId(8, 1);
        var sink = new FdWalkSink(statPaths: true, countFilesystems: true);
        sink.StartProcess(0);
        Record(sink, socket: 11, netNs: 900, FdReadProblem.NameTooLong, fs);
        // Process 1 holds 11 too, and shows 900 again and a namespace of its own, then its table turns unreadable.
        sink.StartProcess(1);
        Record(sink, socket: 11, netNs: 900, FdReadProblem.Truncated, fs);
        sink.Socket(12);
        sink.HeldNamespace(901);
        Assert.Equal((2, 2), (sink.Counts.Total, sink.KeptSockets));   // so the checks below cannot pass on an empty sink

        sink.ForgetProcess();

        Assert.Equal([new SocketHold(11, 0)], sink.SocketHolds);
        Assert.Equal([new DeviceHold(0, false, 1, 3)], sink.Devices);
        Assert.Equal([900UL], sink.HeldNamespaces);   // 900 stays: process 0 showed it first
        Assert.Equal((1, 0, 0), (sink.Problems.NameTooLong, sink.Problems.Truncated, sink.Problems.Failed));
        Assert.Equal((0, 0, 0), (sink.Counts.Total, sink.KeptSockets, sink.Filesystems!.Count));

        // The next process records from there, under its own index.
        sink.StartProcess(1);
        sink.Socket(13);
        Assert.Equal([new SocketHold(11, 0), new SocketHold(13, 1)], sink.SocketHolds);
    }

    private static void Record(FdWalkSink sink, ulong socket, ulong netNs, FdReadProblem problem, FilesystemId fs)
    {
        sink.Socket(socket);
        sink.Count(FdKind.Socket);
        sink.Device(isBlock: false, 1, 3);
        sink.Count(FdKind.CharDevice);
        sink.HeldNamespace(netNs);
        sink.Problem(problem);
        sink.OpenFileOn(fs);
    }
}
