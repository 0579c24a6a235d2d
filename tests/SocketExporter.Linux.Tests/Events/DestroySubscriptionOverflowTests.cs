using System.Net;
using System.Net.Sockets;
using SocketExporter.Linux.Events;
using SocketExporter.Linux.Interop;

namespace SocketExporter.Linux.Tests.Events;

/// <summary>
/// Injected fault (issue 16, item 4): a destroy-event subscription whose receive buffer overflows, so that recv()
/// returns ENOBUFS. The subscription asks for the kernel's smallest receive buffer (a few events' worth) and a burst
/// of listeners is closed before it is read: the drain counts an overflow, hands over only events that arrived whole,
/// and goes on reading; the next event after the overflow arrives as usual. The same burst with the normal buffer is
/// the reference: every event arrives, no overflow. Runs in a network namespace of its own (ip netns add, entered by
/// one thread with setns), so no other socket on the host adds events.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DestroySubscriptionOverflowTests : IDisposable
{
    private const int Burst = 300;
    private readonly string _name = $"se-enobufs-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];
    private readonly bool _made;

    public DestroySubscriptionOverflowTests()
    {
        _made = System.Diagnostics.Process.Start("ip", ["netns", "add", _name])!.WaitForExitAsync().Wait(30_000);
        Assert.True(File.Exists($"/run/netns/{_name}"), $"ip netns add {_name} failed");
    }

    [Fact]
    public void Drain_BurstPastATinyReceiveBuffer_CountsOverflowThenReadsOn()
    {
        (DrainCounts tiny, int tinyGranted, DrainCounts next) = InNamespace(() =>
        {
            Assert.Equal(0, DestroySubscription.TryOpen(out DestroySubscription? subscription, out _, receiveBuffer: 1));
            using DestroySubscription s = subscription!;
            CloseListeners(Burst);
            Thread.Sleep(1000);   // unread while the kernel's work queue sends the burst: the buffer fills
            DrainCounts burst = DrainUntil(s, Burst);
            CloseListeners(1);
            DrainCounts after = DrainUntil(s, 1);
            return (burst, s.ReceiveBufferBytes, after);
        });
        DrainCounts reference = InNamespace(() =>
        {
            Assert.Equal(0, DestroySubscription.TryOpen(out DestroySubscription? subscription, out _));
            using DestroySubscription s = subscription!;
            CloseListeners(Burst);
            return DrainUntil(s, Burst);
        });

        Assert.Equal(new DrainCounts(Burst, 0, 0), reference);
        Assert.True(tinyGranted < 16 * 1024, $"granted {tinyGranted} bytes");
        Assert.True(tiny.Overflows >= 1, $"{tiny}: no overflow counted with a {tinyGranted}-byte buffer");
        Assert.InRange(tiny.Events, 1, Burst - 1);
        Assert.Equal(0, tiny.Malformed);
        Assert.Equal(new DrainCounts(1, 0, 0), next);
    }

    /// <summary>Drains until <paramref name="expected"/> events have arrived, or none has for two seconds: the kernel
    /// sends destroy events from a work queue, after close() has returned.</summary>
    private static DrainCounts DrainUntil(DestroySubscription s, int expected)
    {
        var buffer = new byte[16 * 1024];
        DrainCounts total = default;
        var quiet = System.Diagnostics.Stopwatch.StartNew();
        while (total.Events < expected && quiet.Elapsed < TimeSpan.FromSeconds(2))
        {
            DrainCounts c = s.Drain(buffer, _ => { });
            if (c != default)
                quiet.Restart();
            total = new(total.Events + c.Events, total.Malformed + c.Malformed, total.Overflows + c.Overflows);
            Thread.Sleep(10);
        }
        return total;
    }

    /// <summary>Opens and closes <paramref name="count"/> listeners (each close is one destroy event, dport 0).</summary>
    private static void CloseListeners(int count)
    {
        for (int i = 0; i < count; i++)
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Any, 0));
            listener.Listen();
        }
    }

    /// <summary>Runs <paramref name="body"/> on a new thread that has entered the test's namespace (setns affects
    /// only the calling thread; the thread ends afterwards).</summary>
    private T InNamespace<T>(Func<T> body)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Assert.Equal(0, Libc.OpenAt(null, PathBytes.ToNulTerminated($"/run/netns/{_name}"), Constants.O_RDONLY, out SafeFd ns));
                using (ns)
                    Assert.Equal(0, Libc.SetNs(ns, Constants.CLONE_NEWNET));
                result = body();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
            throw new Xunit.Sdk.XunitException("in the namespace: " + failure);
        return result;
    }

    public void Dispose()
    {
        if (_made)
            System.Diagnostics.Process.Start("ip", ["netns", "delete", _name])!.WaitForExit();
    }
}
