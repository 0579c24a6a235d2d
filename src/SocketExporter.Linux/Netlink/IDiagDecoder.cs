using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Netlink;

/// <summary>Decodes the payload of one SOCK_DIAG_BY_FAMILY reply of a family (<see cref="InetDiagDecoder"/>,
/// <see cref="UnixDiagDecoder"/>), for <see cref="SockDiagDumpParser.ParseChunk{T, TDecoder}"/>.</summary>
public interface IDiagDecoder<T>
{
    static abstract bool TryDecode(ReadOnlySpan<byte> payload, SocketProtocol protocol, out T entry);
}
