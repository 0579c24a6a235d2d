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

    [Fact, Trait("Category", "Unit")]
    public void Unchanged_ServesWhatWasLoadedAtStart()
    {
        Write("deny");
        using var reloader = new WebConfigReloader(WebSecurity.Load(PathOf), NullLogger.Instance);
        Assert.Equal("deny", FrameOptions(reloader));
    }

    [Fact, Trait("Category", "Unit")]
    public void ChangedBetweenStartupReadAndFirstRequest_IsSeen()
    {
        Write("deny");
        WebConfig loaded = WebSecurity.Load(PathOf);
        Write("sameorigin");   // while the host is still being built
        using var reloader = new WebConfigReloader(loaded, NullLogger.Instance, poll: false);
        reloader.Poll();
        Assert.Equal("sameorigin", FrameOptions(reloader));
    }

    // Issue 17: the file replaced by a FIFO left every request stuck in open(2); by a link to /dev/zero, 4 GB and a
    // 24 s stall; by YAML nested 100,000 deep, a stack overflow (SIGSEGV). A look at each keeps the last good config,
    // returns (on its own thread, given a generous 30 s), and a good file afterwards is taken again.
    [Theory]
    [InlineData("fifo")]
    [InlineData("devzero")]
    [InlineData("deepflow")]
    public void HostileReplacement_KeepsLastGood_ThenTakesTheNextGoodFile(string kind)
    {
        Write("deny");
        using var reloader = new WebConfigReloader(WebSecurity.Load(PathOf), NullLogger.Instance, poll: false);
        File.Delete(PathOf);
        switch (kind)
        {
            case "fifo": Infrastructure.ToolRunner.Run("mkfifo", PathOf); break;
            case "devzero": File.CreateSymbolicLink(PathOf, "/dev/zero"); break;
            default: File.WriteAllText(PathOf, new string('[', 100_000)); break;
        }
        PollWithin(reloader);
        Assert.Equal("deny", FrameOptions(reloader));

        File.Delete(PathOf);
        Write("sameorigin");
        PollWithin(reloader);
        Assert.Equal("sameorigin", FrameOptions(reloader));
    }

    [Fact, Trait("Category", "Unit")]
    public void ReloadSignal_UnchangedFile_IsReadAgain()
    {
        Write("deny");
        WebConfig loaded = WebSecurity.Load(PathOf);
        var log = new ListLogger();
        using var reloader = new WebConfigReloader(loaded, log, poll: false);
        reloader.Poll();
        Assert.Empty(log.Lines);   // unchanged: not read
        loaded.Reload.Request();
        Assert.Contains(log.Lines, l => l.StartsWith("reloaded web config", StringComparison.Ordinal) && l.Contains("on SIGHUP"));
    }

    private static void PollWithin(WebConfigReloader reloader)
    {
        var thread = new Thread(() => reloader.Poll()) { IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "a look at the web config did not return within 30 s");
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines) Lines.Add(formatter(state, exception));
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
