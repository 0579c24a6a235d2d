using Microsoft.Extensions.Logging.Abstractions;
using SocketExporter.Web;

namespace SocketExporter.Tests.Web;

public sealed class WebConfigReloaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("socket-exporter-webcfg-").FullName;
    private string PathOf => Path.Combine(_dir, "web.yml");

    private void Write(string frameOptions) =>
        File.WriteAllText(PathOf, $"http_server_config:\n  headers:\n    X-Frame-Options: {frameOptions}\n");

    private static string FrameOptions(WebConfigReloader reloader) =>
        Assert.Single(reloader.Current.Headers, h => h.Key == "X-Frame-Options").Value;

    [Fact]
    public void Unchanged_ServesWhatWasLoadedAtStart()
    {
        Write("deny");
        var reloader = new WebConfigReloader(WebSecurity.Load(PathOf), NullLogger.Instance);
        Assert.Equal("deny", FrameOptions(reloader));
    }

    [Fact]
    public void ChangedBetweenStartupReadAndFirstRequest_IsSeen()
    {
        Write("deny");
        WebConfig loaded = WebSecurity.Load(PathOf);
        Write("sameorigin");   // while the host is still being built
        var reloader = new WebConfigReloader(loaded, NullLogger.Instance);
        Assert.Equal("sameorigin", FrameOptions(reloader));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
