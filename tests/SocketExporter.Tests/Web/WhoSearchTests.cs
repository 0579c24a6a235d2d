using System.Text;
using SocketExporter.Linux.Reading;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Web;
using SocketExporter.Who;

namespace SocketExporter.Tests.Web;

/// <summary>The landing page's search box: its bounds (one search at a time, a budget) and its escaping. The reading
/// itself is `who`'s, tested against ss/lsof/fuser in WhoCommandTests and through the page in LandingPageBrowserTests.</summary>
[Trait("Category", "Unit")]
public sealed class WhoSearchTests
{
    [Fact]
    public async Task AskAsync_WhileASearchRuns_AnswersBusyAtOnce()
    {
        var reading = new TaskCompletionSource<ScrapeSnapshot>();
        int reads = 0;
        var search = new WhoSearch((_, _) => { reads++; return reading.Task; }, "/proc", TimeSpan.FromMinutes(5));
        Task<WhoSearchAnswer> first = search.AskAsync(":81", CancellationToken.None);
        Assert.False(first.IsCompleted);

        WhoSearchAnswer second = await search.AskAsync("nginx", CancellationToken.None);
        Assert.Equal((WhoSearchOutcome.Busy, 1), (second.Outcome, reads));
        Assert.Equal("another search is running; try again in a moment", second.Problem);

        reading.SetCanceled();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
    }

    [Fact]
    public async Task AskAsync_PastItsBudget_TimesOutAndStaysBusyUntilTheReadingEnds()
    {
        var reading = new TaskCompletionSource<ScrapeSnapshot>();   // a walk that has not yet reached its next pid
        int reads = 0;
        // The first reading is held by the test; later ones never end either, so each times out.
        var search = new WhoSearch((_, _) => reads++ == 0 ? reading.Task : new TaskCompletionSource<ScrapeSnapshot>().Task, "/proc", TimeSpan.FromMilliseconds(20));

        WhoSearchAnswer timedOut = await search.AskAsync(":81", CancellationToken.None);
        Assert.Equal((WhoSearchOutcome.TimedOut, "reading did not finish within 0.02 s"), (timedOut.Outcome, timedOut.Problem));
        Assert.Equal(WhoSearchOutcome.Busy, (await search.AskAsync(":82", CancellationToken.None)).Outcome);
        Assert.Equal(1, reads);

        reading.SetCanceled();   // the walk stops: the next search may read
        WhoSearchAnswer next = await WaitNotBusy(search);
        Assert.Equal((WhoSearchOutcome.TimedOut, 2), (next.Outcome, reads));
    }

    [Theory]
    [InlineData(":99999", "bad target \":99999\": a port is a number from 1 to 65535")]
    [InlineData("pid:abc", "bad target \"pid:abc\": a pid is a positive number (pid:1234)")]
    [InlineData("/no/such/path/for/who", "bad target \"/no/such/path/for/who\": ")]
    public async Task AskAsync_BadTarget_SaysWhyAndReadsNothing(string query, string problem)
    {
        int reads = 0;
        var search = new WhoSearch((_, _) => { reads++; return new TaskCompletionSource<ScrapeSnapshot>().Task; }, "/proc", TimeSpan.FromMinutes(5));
        WhoSearchAnswer answer = await search.AskAsync(query, CancellationToken.None);
        Assert.Equal((WhoSearchOutcome.BadTarget, 0), (answer.Outcome, reads));
        Assert.StartsWith(problem, answer.Problem);
    }

    [Fact]
    public void AppendSearch_MarkupInQueryProgramAndNotes_IsEncoded()
    {
        var table = new WhoTable(["PROTO", "LOCAL", "PROGRAM"], [["tcp", "127.0.0.1:81", "<script>alert(1)</script> 42"]]);
        var answer = new WhoSearchAnswer("\"><img src=x onerror=alert(2)>", WhoSearchOutcome.Answered, [table], ["<b>note</b>"]);
        var html = new StringBuilder();
        LandingPage.AppendSearch(html, answer);
        string text = html.ToString();
        Assert.Contains("<td>&lt;script&gt;alert(1)&lt;/script&gt; 42</td>", text);
        Assert.Contains("value=\"&quot;&gt;&lt;img src=x onerror=alert(2)&gt;\"", text);
        Assert.Contains("<li>&lt;b&gt;note&lt;/b&gt;</li>", text);
        Assert.DoesNotContain("<script", text);
        Assert.DoesNotContain("<img", text);
        Assert.DoesNotContain("<b>", text);
    }

    private static async Task<WhoSearchAnswer> WaitNotBusy(WhoSearch search)
    {
        // The gate is released by a continuation of the ended reading: it runs soon after, not synchronously.
        for (int i = 0; ; i++)
        {
            WhoSearchAnswer answer = await search.AskAsync(":83", CancellationToken.None);
            if (answer.Outcome != WhoSearchOutcome.Busy || i == 1000)
                return answer;
            await Task.Delay(10);
        }
    }
}
