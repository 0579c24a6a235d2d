using System.Buffers.Binary;
using System.Net;

namespace SocketExporter.Linux.Snapshot;

/// <summary>
/// An IPv4 or IPv6 address held as 16 network-order bytes in two words, so socket entries stay unmanaged
/// and allocation-free. IPv4 uses the first 4 bytes, as inet_diag_sockid does.
/// </summary>
public readonly record struct InetAddress(ulong High, ulong Low)
{
    public static InetAddress FromBytes(ReadOnlySpan<byte> sixteen) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(sixteen), BinaryPrimitives.ReadUInt64BigEndian(sixteen[8..]));

    public void WriteBytes(Span<byte> sixteen)
    {
        BinaryPrimitives.WriteUInt64BigEndian(sixteen, High);
        BinaryPrimitives.WriteUInt64BigEndian(sixteen[8..], Low);
    }

    /// <summary>Text as ss prints it (without brackets or scope). Allocates: call for listeners, not per connection.</summary>
    public string Format(SocketFamily family)
    {
        Span<byte> bytes = stackalloc byte[16];
        WriteBytes(bytes);
        return family == SocketFamily.Ipv4 ? new IPAddress(bytes[..4]).ToString() : new IPAddress(bytes).ToString();
    }
}
