using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using CsCheck;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.Properties;

/// <summary>
/// Property test (CsCheck): any socket, printed the way net/ipv4/tcp_ipv4.c (get_tcp4_sock) and net/ipv6/tcp_ipv6.c
/// (get_tcp6_sock) print a /proc/net/tcp[6] line, parses back to the same socket.
/// </summary>
public sealed class ProcNetRoundTripTests
{
    private static readonly Gen<SocketEntry> Socket =
        Gen.Select(Gen.OneOf(SocketFamily.Ipv4, SocketFamily.Ipv6), Gen.Int[1, 12], Gen.Byte.Array[16], Gen.UShort,
                Gen.Byte.Array[16], Gen.UShort, Gen.UInt, Gen.UInt)
            .SelectMany(t => Gen.Select(Gen.UInt, Gen.ULong).Select((uid, inode) =>
            {
                (SocketFamily family, int state, byte[] local, ushort localPort, byte[] remote, ushort remotePort, uint rq, uint wq) = t;
                if (family == SocketFamily.Ipv4)
                {
                    Array.Clear(local, 4, 12);
                    Array.Clear(remote, 4, 12);
                }
                return new SocketEntry(SocketProtocol.Tcp, family, (SocketState)state, InetAddress.FromBytes(local), localPort,
                    InetAddress.FromBytes(remote), remotePort, rq, wq, uid, inode);
            }));

    [Fact]
    public void TryParseLine_AnySocketPrintedAsTheKernelPrintsIt_ParsesToTheSameSocket()
    {
        Gen.Select(Socket, Gen.Int[0, 99999]).Sample((socket, slot) =>
        {
            byte[] line = Encoding.ASCII.GetBytes(Print(socket, slot));
            Assert.True(ProcNetSocketParser.TryParseLine(line, SocketProtocol.Tcp, socket.Family, 2, out SocketEntry parsed, out ParseError error),
                $"{Encoding.ASCII.GetString(line)}: {error}");
            Assert.Equal(socket, parsed);
        });
    }

    // "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK ..."; each 32-bit word of the
    // address is the network-order bytes read as a host-order integer (little-endian here).
    private static string Print(SocketEntry s, int slot)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{slot,4}: ");
        Address(text, s.LocalAddress, s.Family).Append(CultureInfo.InvariantCulture, $":{s.LocalPort:X4} ");
        Address(text, s.RemoteAddress, s.Family).Append(CultureInfo.InvariantCulture, $":{s.RemotePort:X4} ");
        text.Append(CultureInfo.InvariantCulture,
            $"{(byte)s.State:X2} {s.SendQueue:X8}:{s.ReceiveQueue:X8} 00:00000000 00000000 {s.Uid,5} {0,8} {s.Inode} 1 0000000000000000 100 0 0 10 0");
        return text.ToString();
    }

    private static StringBuilder Address(StringBuilder text, InetAddress address, SocketFamily family)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.WriteBytes(bytes);
        for (int i = 0; i < (family == SocketFamily.Ipv4 ? 1 : 4); i++)
            text.Append(CultureInfo.InvariantCulture, $"{BinaryPrimitives.ReadUInt32LittleEndian(bytes[(i * 4)..]):X8}");
        return text;
    }
}
