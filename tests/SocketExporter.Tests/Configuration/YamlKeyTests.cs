using System.Text;
using SocketExporter.Collectors;
using SocketExporter.Configuration;
using SocketExporter.Web;
using YamlDotNet.Core;

namespace SocketExporter.Tests.Configuration;

/// <summary>
/// A mapping key that is itself a mapping, a sequence or an alias. scripts/fuzz.sh (60 s campaign, web-config target)
/// found 37 bytes in which a mapping is its own key through an alias: YamlDotNet hashed the key recursively until the
/// stack overflowed, which kills the process (no catch stops it), at start or at a web-config reload. Such keys are now
/// refused as bad YAML with a line. Without the check, this test class takes the test host down with it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class YamlKeyTests
{
    /// <summary>The fuzzer's input, byte for byte (tools/fuzz/findings/web-config-stack-overflow.yml before the fix).</summary>
    private static readonly string FuzzFinding = Encoding.UTF8.GetString(Convert.FromHexString(
        "263a00207b2a3a2c3a3a207b2a3a2c3a3a3a3a3e203a3a3a3a00ffffffff3a3a3a3a00203a"));

    [Theory]
    [InlineData("&a {*a : x}")]
    [InlineData("? {a: b}\n: c\n")]
    [InlineData("? [a, b]\n: c\n")]
    [InlineData("x: &k y\n*k : z\n")]
    public void Load_KeyThatIsNotAPlainValue_RefusedWithALine(string yaml)
    {
        var e = Assert.Throws<YamlException>(() => DepthLimitedParser.Load(yaml));
        Assert.Contains("a mapping key must be a plain value", e.Message);
        Assert.True(e.Start.Line >= 1);
    }

    [Fact]
    public void WebConfig_FuzzFinding_IsBadYamlNotAStackOverflow()
    {
        var e = Assert.Throws<WebConfigException>(() => WebConfigParser.Parse(FuzzFinding, "/etc/web.yml"));
        Assert.Contains("/etc/web.yml:", e.Message);
    }

    [Fact]
    public void ConfigFile_FuzzFinding_IsRefusedWithFileAndLine()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("socket-exporter-yamlkey-").FullName, "config.yml");
        try
        {
            File.WriteAllText(path, FuzzFinding);
            var e = Assert.Throws<UsageException>(() => ConfigFile.Apply(path, CommandLine.Parse([], CollectorList.All(DeviceFilter.Default).Select(c => c.Name).ToArray())));
            Assert.StartsWith(path + ":", e.Message);
            Assert.Contains("a mapping key must be a plain value", e.Message);
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, recursive: true); }
    }

    [Fact]
    public void Load_AliasesAsValuesAndScalarKeys_StillLoad()
    {
        var stream = DepthLimitedParser.Load("base: &b {port: 1}\nother: *b\nlist: [&x a, *x]\n? plain\n: 2\n");
        Assert.Single(stream.Documents);
    }
}
