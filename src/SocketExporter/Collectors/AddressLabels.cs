using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// The address label of a listener as `ss -ltn` writes it, without brackets: "127.0.0.1", "::1", and for a socket
/// bound to a device (SO_BINDTODEVICE, or a link-local address's scope) the device after '%': "0.0.0.0%lo",
/// "fe80::99%dummy0". Two sockets on one address:port bound to different devices are different listeners.
/// </summary>
internal sealed class AddressLabels
{
    private readonly Dictionary<(InetAddress, SocketFamily), string> _texts = [];

    public string Of(NetNsSnapshot ns, InetAddress address, SocketFamily family, uint boundInterface)
    {
        if (!_texts.TryGetValue((address, family), out string? text))
            _texts[(address, family)] = text = address.Format(family);
        // Device-bound listeners are few: their text is built when written, with the name in their own namespace.
        return boundInterface == 0 ? text : text + "%" + ns.InterfaceName(boundInterface);
    }
}
