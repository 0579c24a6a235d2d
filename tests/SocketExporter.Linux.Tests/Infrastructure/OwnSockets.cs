using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SocketExporter.Linux.Tests.Infrastructure;

/// <summary>A TCP listener with one connected client and its accepted peer, all held by this test process.</summary>
public sealed class OwnTcpTrio : IDisposable
{
    public TcpListener Listener { get; }
    public TcpClient Client { get; }
    public TcpClient Accepted { get; }
    public ushort Port { get; }

    /// <summary>listen() backlog: sock_diag reports it as the listener's wqueue.</summary>
    public const int Backlog = 7;

    public OwnTcpTrio(IPAddress address)
    {
        Listener = new TcpListener(address, 0);
        Listener.Start(Backlog);
        Port = (ushort)((IPEndPoint)Listener.LocalEndpoint).Port;
        Client = new TcpClient(address.AddressFamily);
        Client.Connect(address, Port);
        Accepted = Listener.AcceptTcpClient();
    }

    public ulong ListenerInode => SocketInode.Of(Listener.Server);

    public ulong[] Inodes => [SocketInode.Of(Listener.Server), SocketInode.Of(Client.Client), SocketInode.Of(Accepted.Client)];

    public void Dispose()
    {
        Accepted.Dispose();
        Client.Dispose();
        Listener.Stop();
    }
}

public static class SocketInode
{
    /// <summary>The inode of a socket this process holds, from the "socket:[N]" target of /proc/self/fd/FD.</summary>
    public static ulong Of(Socket socket)
    {
        int fd = (int)socket.SafeHandle.DangerousGetHandle();
        string target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget
            ?? throw new InvalidOperationException($"/proc/self/fd/{fd} is not a link");
        Assert.StartsWith("socket:[", target);
        return ulong.Parse(target["socket:[".Length..^1], CultureInfo.InvariantCulture);
    }
}
