using System.Runtime.CompilerServices;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.Snapshot;

[Trait("Category", "Unit")]
public sealed class SocketEntrySizeTests
{
    // A busy node keeps 100,000 socket entries between scrapes (in a list of 131,072): every 8 bytes here is 1 MB of
    // resident memory. 72 is the packed size of its fields (two 16-byte addresses, three 8-byte words, four 4-byte
    // counters, two ports, three one-byte enums).
    [Fact]
    public void SocketEntry_IsPacked_72Bytes()
    {
        Assert.Equal(72, Unsafe.SizeOf<SocketEntry>());
    }
}
