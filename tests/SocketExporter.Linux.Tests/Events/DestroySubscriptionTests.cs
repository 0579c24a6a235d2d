using System.Net;
using System.Net.Sockets;
using SocketExporter.Linux.Events;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.Events;

[Trait("Category", "Integration")]
public sealed class DestroySubscriptionTests
{
    [Fact]
    public void Drain_OwnLoopbackConnectionClosed_BothEndsArriveWithTheirPayload()
    {
        Assert.Equal(0, DestroySubscription.TryOpen(out DestroySubscription? subscription, out string? error));
        using DestroySubscription s = subscription!;
        Assert.Null(error);
        Assert.True(s.ReceiveBufferBytes >= 256 * 1024, $"granted {s.ReceiveBufferBytes}");

        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(IPAddress.Loopback, port);
            using Socket accepted = listener.AcceptSocket();
            client.Send(new byte[1234]);
            client.Shutdown(SocketShutdown.Send);
            var buffer = new byte[4096];
            int got = 0, n;
            while ((n = accepted.Receive(buffer)) > 0) got += n;
            Assert.Equal(1234, got);
            accepted.Close();
            while (client.Receive(buffer) > 0) { }
        }
        var ours = new List<TcpDestroyEvent>();
        // The last ACK of the close can take a moment even on loopback: drain until both ends are in.
        for (int i = 0; i < 100 && ours.Count(e => e.Kind == TcpDestroyKind.Closed) < 2; i++)
        {
            s.Drain(new byte[16 * 1024], e => { if (e.LocalPort == port || e.RemotePort == port) ours.Add(e); });
            Thread.Sleep(20);
        }
        List<TcpDestroyEvent> closed = ours.Where(e => e.Kind == TcpDestroyKind.Closed).ToList();
        Assert.Equal(2, closed.Count);
        TcpDestroyEvent server = Assert.Single(closed, e => e.LocalPort == port);
        TcpDestroyEvent clientEnd = Assert.Single(closed, e => e.RemotePort == port);
        Assert.Equal((1234UL, 1234UL), (server.Info.PayloadBytesReceived, clientEnd.Info.PayloadBytesSent));
        Assert.Equal(SocketFamily.Ipv4, server.Family);
    }
}
