using SocketExporter.Collectors;
using SocketExporter.Configuration;

namespace SocketExporter.Tests.Configuration;

/// <summary>The config file's expected_listeners: parsed as the rest of the file is, and the matcher it builds.</summary>
[Trait("Category", "Unit")]
public sealed class ExpectedListenersTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("socket-exporter-policy-").FullName;
    private static readonly string[] Collectors = CollectorList.All(DeviceFilter.Default).Select(c => c.Name).ToArray();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ListenerPolicy Policy(string yaml)
    {
        string path = Path.Combine(_dir, "config.yml");
        File.WriteAllText(path, yaml);
        return CommandLine.Parse(["--config.file=" + path], Collectors).ExpectedListeners;
    }

    private static ListenerLabels Tcp(int port, string program = "sshd", string address = "0.0.0.0", string netns = "host") =>
        new("tcp", address, port, program, netns);

    [Fact]
    public void NoSection_JudgesNothing()
    {
        Assert.False(Policy("limits: { max_series: 10 }\n").IsConfigured);
    }

    [Fact]
    public void Ports_SingleListAndRange()
    {
        ListenerPolicy p = Policy("expected_listeners:\n  - ports: \"22,80,8000-8999\"\n");
        Assert.True(p.IsConfigured);
        foreach (int port in new[] { 22, 80, 8000, 8500, 8999 })
            Assert.True(p.IsExpected(Tcp(port)), $"port {port}");
        foreach (int port in new[] { 21, 23, 81, 7999, 9000, 0 })
            Assert.False(p.IsExpected(Tcp(port)), $"port {port}");
    }

    [Fact]
    public void Regexes_AreAnchored()
    {
        ListenerPolicy p = Policy("expected_listeners:\n  - { ports: \"22\", program: sshd, address: \"0\\\\.0\\\\.0\\\\.0\", netns: host }\n");
        Assert.True(p.IsExpected(Tcp(22)));
        Assert.False(p.IsExpected(Tcp(22, program: "sshd-evil")));     // not a prefix match
        Assert.False(p.IsExpected(Tcp(22, program: "xsshd")));         // not a suffix match
        Assert.False(p.IsExpected(Tcp(22, address: "10.0.0.0")));
        Assert.False(p.IsExpected(Tcp(22, address: "0.0.0.0%lo")));
        Assert.False(p.IsExpected(Tcp(22, netns: "hostile")));
        Assert.False(p.IsExpected(Tcp(22, program: "")));              // a holder-less socket is not sshd
    }

    [Fact]
    public void Alternation_IsAnchoredAsAWhole()
    {
        ListenerPolicy p = Policy("expected_listeners:\n  - { ports: \"80\", program: \"nginx|envoy\" }\n");
        Assert.True(p.IsExpected(Tcp(80, program: "nginx")));
        Assert.True(p.IsExpected(Tcp(80, program: "envoy")));
        Assert.False(p.IsExpected(Tcp(80, program: "nginx2")));
        Assert.False(p.IsExpected(Tcp(80, program: "xenvoy")));
    }

    [Fact]
    public void Protocol_RestrictsTheEntry()
    {
        ListenerPolicy p = Policy("expected_listeners:\n  - { ports: \"53\", protocol: udp }\n");
        Assert.True(p.IsExpected(new ListenerLabels("udp", "0.0.0.0", 53, "dnsmasq", "host")));
        Assert.False(p.IsExpected(new ListenerLabels("tcp", "0.0.0.0", 53, "dnsmasq", "host")));
    }

    [Fact]
    public void AnyEntry_Matching_IsEnough_AndEveryRuleOfAnEntryMustMatch()
    {
        ListenerPolicy p = Policy("""
            expected_listeners:
              - { ports: "22", program: sshd }
              - { ports: "9000-9100", program: "python3" }
            """);
        Assert.True(p.IsExpected(Tcp(22)));
        Assert.True(p.IsExpected(Tcp(9050, program: "python3")));
        Assert.False(p.IsExpected(Tcp(22, program: "python3")));      // right port of one entry, program of the other
        Assert.False(p.IsExpected(Tcp(9050)));
    }

    [Theory]
    [InlineData("expected_listeners:\n  - { ports: \"22\", program: \"(\" }\n", 2, "expected_listeners[0].program: not a valid regular expression")]
    [InlineData("expected_listeners:\n  - ports: \"22\"\n  - ports: \"9000-80\"\n", 3, "expected_listeners[1].ports: '9000-80' is not a port or a range")]
    [InlineData("expected_listeners:\n  - ports: \"70000\"\n", 2, "expected_listeners[0].ports")]
    [InlineData("expected_listeners:\n  - ports: \"22\"\n    user: root\n", 3, "expected_listeners[0]: unknown key 'user'")]
    [InlineData("expected_listeners:\n  - program: sshd\n", 2, "expected_listeners[0]: ports is required")]
    [InlineData("expected_listeners:\n  ports: \"22\"\n", 2, "expected_listeners must be a list")]
    [InlineData("expected_listeners: []\n", 1, "expected_listeners is empty")]
    [InlineData("expected_listeners:\n  - 22\n", 2, "expected_listeners[0] must be a mapping")]
    [InlineData("expected_listeners:\n  - { ports: \"22\", protocol: [tcp] }\n", 2, "expected_listeners[0].protocol must be a single value")]
    public void BadPolicy_NamesFileLineAndKey(string yaml, int line, string message)
    {
        string path = Path.Combine(_dir, "bad.yml");
        File.WriteAllText(path, yaml);
        UsageException e = Assert.Throws<UsageException>(() => CommandLine.Parse(["--config.file=" + path], Collectors));
        Assert.StartsWith($"{path}:{line}: ", e.Message);
        Assert.Contains(message, e.Message);
    }
}
