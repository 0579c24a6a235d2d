using System.Net.Sockets;
using System.Text;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Faults;

/// <summary>
/// Injected fault (issue 16, item 4): clients that send a scrape and reset the connection after the first bytes of
/// the answer, 150 times. The exporter keeps serving, the next scrape is whole, and it ends with the
/// descriptors it had (no connection or response left behind) and no more threads than a few pool workers.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DisconnectingClientTests
{
    private const int Disconnects = 150;

    [Fact]
    public void ClientsResettingMidResponse_NextScrapeWhole_NothingLeaks()
    {
        // Its own network namespace only: namespaces other tests make and delete on the shared host would open and
        // close the listener sampler's and the event listener's descriptors while they are counted.
        using ExporterProcess exporter = ExporterProcess.Start(["--netns.mode=own"]);
        string whole = exporter.Scrape();
        for (int i = 0; i < 2; i++)
            exporter.Scrape();
        (int fdsBefore, int threadsBefore) = ExitingProcessesTests.Resources(exporter.Pid);

        int answered = 0;
        byte[] request = Encoding.ASCII.GetBytes($"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{exporter.Port}\r\n\r\n");
        for (int i = 0; i < Disconnects; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect("127.0.0.1", exporter.Port);
            client.Send(request);
            byte[] first = new byte[64];
            if (client.Receive(first) > 0)
                answered++;
            client.LingerState = new LingerOption(true, 0);   // close() now sends RST: the rest of the body has nowhere to go
        }
        Assert.Equal(Disconnects, answered);   // each had begun to answer, so each reset came mid-response

        MetricSet after = exporter.ScrapeMetrics();
        Assert.Equal(MetricSet.Parse(whole).Named("socket_exporter_build_info").Count(), after.Named("socket_exporter_build_info").Count());
        Assert.Single(after.Named("socket_listening"), s => s["port"] == exporter.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)
            && s["pid"] == exporter.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        (int fdsAfter, int threadsAfter) = ExitingProcessesTests.Settle(exporter, exporter.Pid, fdsBefore);
        Assert.True(fdsAfter <= fdsBefore, $"descriptors {fdsBefore} before, {fdsAfter} after {Disconnects} resets");
        Assert.True(threadsAfter <= threadsBefore + 4, $"threads {threadsBefore} before, {threadsAfter} after {Disconnects} resets");
        Console.WriteLine($"{Disconnects} resets; fds {fdsBefore} -> {fdsAfter}, threads {threadsBefore} -> {threadsAfter}");
    }
}
