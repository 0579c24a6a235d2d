using SocketExporter.Linux.Snapshot;
using SocketExporter.Who;

namespace SocketExporter.Tests.Who;

public sealed class WhoTargetTests
{
    [Theory]
    [InlineData(":81", null, 81)]
    [InlineData("81", null, 81)]
    [InlineData("tcp:8080", SocketProtocol.Tcp, 8080)]
    [InlineData("udp:53", SocketProtocol.Udp, 53)]
    [InlineData(":65535", null, 65535)]
    public void Port(string text, SocketProtocol? protocol, int port)
    {
        Assert.True(WhoTarget.TryParse(text, out WhoTarget target, out string error), error);
        Assert.Equal((WhoTargetKind.Port, protocol, (ushort)port), (target.Kind, target.Protocol, target.Port));
    }

    [Theory]
    [InlineData("pid:1234", WhoTargetKind.Pid)]
    [InlineData("nginx", WhoTargetKind.Program)]
    [InlineData("/dev/ttyUSB0", WhoTargetKind.Path)]
    [InlineData("./data", WhoTargetKind.Path)]
    [InlineData(null, WhoTargetKind.Listeners)]
    [InlineData("", WhoTargetKind.Listeners)]
    public void OtherKinds(string? text, WhoTargetKind kind)
    {
        Assert.True(WhoTarget.TryParse(text, out WhoTarget target, out string error), error);
        Assert.Equal(kind, target.Kind);
        if (kind == WhoTargetKind.Pid) Assert.Equal(1234, target.Pid);
    }

    [Theory]
    [InlineData(":99999", "1 to 65535")]
    [InlineData(":0", "1 to 65535")]
    [InlineData("tcp:", "1 to 65535")]
    [InlineData("udp:-5", "1 to 65535")]
    [InlineData("tcp:80x", "1 to 65535")]
    [InlineData("pid:abc", "positive number")]
    [InlineData("pid:0", "positive number")]
    [InlineData("sctp:80", "expected :PORT")]
    [InlineData("a-program-name-too-long", "15 bytes")]
    public void Bad(string text, string message)
    {
        Assert.False(WhoTarget.TryParse(text, out _, out string error));
        Assert.Contains(message, error);
        Assert.Contains(text, error);
        Assert.DoesNotContain('\n', error);
    }
}
