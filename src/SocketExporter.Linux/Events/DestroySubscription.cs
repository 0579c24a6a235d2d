using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Netlink;

namespace SocketExporter.Linux.Events;

/// <summary>What one drain of a subscription read.</summary>
public readonly record struct DrainCounts(int Events, int Malformed, int Overflows);

/// <summary>
/// A NETLINK_SOCK_DIAG socket bound to the TCP destroy groups of the network namespace it was created in: the kernel
/// pushes one message per destroyed TCP socket of that namespace. No capability is needed to subscribe. The socket
/// keeps its namespace alive while open: dispose it when the namespace has no process left.
/// </summary>
public sealed class DestroySubscription : IDisposable
{
    // linux/sock_diag.h: SKNLGRP_INET_TCP_DESTROY = 1, SKNLGRP_INET6_TCP_DESTROY = 3; bind takes 1 << (group - 1).
    private const uint TcpDestroyGroups = (1u << 0) | (1u << 2);

    /// <summary>Receive buffer asked for. One event is 380 bytes of message but costs about a page of skb truesize,
    /// so the default (~208 KiB) holds a few hundred events; 8 MiB holds tens of thousands, a burst's worth while the
    /// listener thread is descheduled. Unprivileged, SO_RCVBUF is capped at net.core.rmem_max; SO_RCVBUFFORCE
    /// (CAP_NET_ADMIN) is tried first and passes the cap.</summary>
    public const int RequestedReceiveBuffer = 8 * 1024 * 1024;

    private readonly SafeFd _fd;

    private DestroySubscription(SafeFd fd, int receiveBuffer)
    {
        _fd = fd;
        ReceiveBufferBytes = receiveBuffer;
    }

    /// <summary>The receive buffer the kernel granted (getsockopt SO_RCVBUF: twice what was set, as the kernel doubles it).</summary>
    public int ReceiveBufferBytes { get; }

    internal SafeFd Fd => _fd;

    public bool IsClosed => _fd.IsClosed;

    /// <summary>Subscribes in the calling thread's network namespace; returns errno and what failed.</summary>
    /// <param name="receiveBuffer">The receive buffer to ask for: <see cref="RequestedReceiveBuffer"/>, except in tests
    /// that make the kernel drop events on purpose (the kernel raises anything smaller than its minimum, ~4.5 KiB).</param>
    public static int TryOpen(out DestroySubscription? subscription, out string? error, int receiveBuffer = RequestedReceiveBuffer)
    {
        subscription = null;
        int errno = Libc.Socket(Constants.AF_NETLINK, Constants.SOCK_RAW, Constants.NETLINK_SOCK_DIAG, out SafeFd fd);
        if (errno != 0)
        {
            error = $"socket(AF_NETLINK, NETLINK_SOCK_DIAG): {Errno.Describe(errno)}";
            return errno;
        }
        errno = Libc.BindNetlinkGroups(fd, TcpDestroyGroups);
        if (errno != 0)
        {
            fd.Dispose();
            error = $"bind(SKNLGRP_INET_TCP_DESTROY | SKNLGRP_INET6_TCP_DESTROY): {Errno.Describe(errno)}";
            return errno;
        }
        // EPERM without CAP_NET_ADMIN: then the capped SO_RCVBUF.
        if (Libc.SetSockOptInt(fd, Constants.SOL_SOCKET, Constants.SO_RCVBUFFORCE, receiveBuffer) != 0)
            Libc.SetSockOptInt(fd, Constants.SOL_SOCKET, Constants.SO_RCVBUF, receiveBuffer);
        Libc.GetSockOptInt(fd, Constants.SOL_SOCKET, Constants.SO_RCVBUF, out int granted);
        subscription = new DestroySubscription(fd, granted);
        error = null;
        return 0;
    }

    /// <summary>
    /// Reads every queued message without blocking and hands each decoded event to <paramref name="sink"/>. ENOBUFS
    /// means the kernel dropped messages since the last read because the buffer was full (how many, it does not say):
    /// counted as one overflow, and reading goes on. Not thread-safe: the caller serialises drains of one subscription.
    /// </summary>
    public DrainCounts Drain(byte[] buffer, Action<TcpDestroyEvent> sink)
    {
        int events = 0, malformed = 0, overflows = 0;
        while (!_fd.IsClosed)
        {
            int errno = Libc.RecvNonBlocking(_fd, buffer, out int length);
            if (errno == Constants.ENOBUFS)
            {
                overflows++;
                continue;
            }
            if (errno != 0 || length == 0)
                break;   // EAGAIN: nothing more queued (any other errno: nothing to read now either)
            if (length > buffer.Length)
            {
                malformed++;   // cut by the buffer: its messages cannot be trusted
                continue;
            }
            var reader = new NetlinkMessageReader(buffer.AsSpan(0, length));
            while (true)
            {
                NetlinkReadResult r = reader.TryRead(out ushort type, out _, out _, out ReadOnlySpan<byte> payload);
                if (r == NetlinkReadResult.EndOfBuffer)
                    break;
                if (r == NetlinkReadResult.Malformed)
                {
                    malformed++;
                    break;
                }
                if (type != NetlinkConstants.SOCK_DIAG_BY_FAMILY)
                {
                    malformed++;
                    continue;
                }
                if (TcpDestroyEventDecoder.TryDecode(payload, out TcpDestroyEvent ev, out _))
                {
                    events++;
                    sink(ev);
                }
                else
                    malformed++;
            }
        }
        return new(events, malformed, overflows);
    }

    public void Dispose() => _fd.Dispose();
}
