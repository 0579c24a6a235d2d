using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>The landing page rendered by a real headless Chromium (Debian's package) at a phone's width.</summary>
[Trait("Category", "Integration")]
public sealed class LandingPageBrowserTests : IDisposable
{
    private readonly string _profile = Directory.CreateTempSubdirectory("socket-exporter-chromium-").FullName;

    private string[] Chromium(params string[] extra) =>
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--user-data-dir=" + _profile, "--window-size=412,915", .. extra,
    ];

    [Fact]
    public void LandingPage_InChromium_RendersListenerTableWithTestListener()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        using ExporterProcess exporter = ExporterProcess.Start();
        exporter.Scrape();   // the page shows the latest collection; make sure it holds the holder's sockets
        string url = exporter.BaseUrl + "/";

        string dom = ToolRunner.Run("chromium", [.. Chromium("--dump-dom", url)], TimeSpan.FromSeconds(120));
        Assert.Contains("<table id=\"listeners\">", dom);
        string row = Assert.Single(dom.Split("<tr>"), r => r.Contains($"127.0.0.1:{holder.Int("backlog_port")}<") && r.Contains($">{holder.Int("pid")}<"));
        Assert.Contains(">python3<", row);
        Assert.Contains(">3 / 5<", row);   // accept queue: 3 waiting of a backlog of 5

        string png = Path.Combine(_profile, "landing.png");
        ToolRunner.Run("chromium", [.. Chromium("--screenshot=" + png, url)], TimeSpan.FromSeconds(120));
        byte[] header = File.ReadAllBytes(png)[..8];
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, header);
        if (Environment.GetEnvironmentVariable("SOCKET_EXPORTER_SCREENSHOT") is { Length: > 0 } keep)
            File.Copy(png, keep, overwrite: true);
    }

    [Fact]
    public void SearchBox_InChromium_AnswersWhoForAPortAndEncodesAProgramNamedScript()
    {
        // A process may name itself anything: this one is "<script>", and its listener is what the box is asked about.
        using HolderProcess named = HolderProcess.Start("named", "<script>");
        int port = named.Int("port");
        // A loaded test machine can take longer than the default 10 s to walk every process.
        using ExporterProcess exporter = ExporterProcess.Start(["--web.search-timeout=2m"]);
        exporter.Scrape();   // the listener table beside the answer shows the last scrape's

        string dom = ToolRunner.Run("chromium", [.. Chromium("--dump-dom", $"{exporter.BaseUrl}/?who=%3A{port}")], TimeSpan.FromSeconds(120));
        Assert.Contains("<form id=\"who\"", dom);
        Assert.Contains($"value=\":{port}\"", dom);
        Assert.Contains("<table id=\"listeners\">", dom);   // the listener table stays beside the answer
        int answerAt = dom.IndexOf("<div id=\"who-answer\">", StringComparison.Ordinal);
        Assert.True(answerAt >= 0, dom);
        string answer = dom[answerAt..dom.IndexOf("<table id=\"listeners\">", answerAt, StringComparison.Ordinal)];
        string row = Assert.Single(answer.Split("<tr>"), r => r.Contains($">127.0.0.1:{port}<"));
        Assert.Contains($"<td>&lt;script&gt; {named.Pid}</td>", row);   // program and pid, as text
        Assert.Contains("<td>root</td>", row);
        Assert.DoesNotContain("<script>", dom);   // no element made of the name

        // A target that is itself markup is refused, and echoed as text; had it been markup, onerror would have run.
        string hostile = Uri.EscapeDataString("<img src=x onerror=document.title='owned'>");
        dom = ToolRunner.Run("chromium", [.. Chromium("--dump-dom", $"{exporter.BaseUrl}/?who={hostile}")], TimeSpan.FromSeconds(120));
        Assert.Contains("<strong>&lt;img src=x onerror=document.title='owned'&gt;:</strong> bad target", dom);
        Assert.DoesNotContain("<img", dom);
        Assert.Contains("<title>SocketExporter</title>", dom);
    }

    public void Dispose() => Directory.Delete(_profile, recursive: true);
}
