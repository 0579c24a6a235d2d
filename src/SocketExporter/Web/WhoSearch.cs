using SocketExporter.Linux.Reading;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Who;

namespace SocketExporter.Web;

/// <summary>
/// The landing page's search box: `socket_exporter who TARGET` for this host, read the way the command reads it (a
/// snapshot shaped by the target, not the last scrape's, which holds neither every process's path uses nor a
/// port's connections by holder). Its work is bounded: one search at a time (another gets
/// <see cref="WhoSearchOutcome.Busy"/> at once rather than queueing behind it), and each within <see cref="Budget"/>.
/// </summary>
public sealed class WhoSearch(Func<SnapshotOptions, CancellationToken, Task<ScrapeSnapshot>> read, string procfsPath, TimeSpan budget)
{
    public WhoSearch(string procfsPath, TimeSpan budget) : this(ReadAsync, procfsPath, budget)
    {
    }

    public static readonly TimeSpan DefaultBudget = TimeSpan.FromSeconds(10);

    /// <summary>Longer queries are refused unparsed: a target is a port, a pid, a 15-byte name or a path (PATH_MAX).</summary>
    public const int MaxQueryLength = 4096;

    private readonly SemaphoreSlim _one = new(1, 1);

    public TimeSpan Budget => budget;

    public async Task<WhoSearchAnswer> AskAsync(string query, CancellationToken aborted)
    {
        if (query.Length > MaxQueryLength)
            return Refused(query, WhoSearchOutcome.BadTarget, $"a target is at most {MaxQueryLength} characters");
        if (!WhoTarget.TryParse(query, out WhoTarget target, out string error))
            return Refused(query, WhoSearchOutcome.BadTarget, error);
        if (!await _one.WaitAsync(0, aborted))
            return Refused(query, WhoSearchOutcome.Busy, "another search is running; try again in a moment");
        bool release = true;
        try
        {
            PathProbe? probe = null;
            if (target.Kind == WhoTargetKind.Path)
            {
                if (!PathProbe.TryProbe(target.Name, out PathProbe found, out string why))
                    return Refused(query, WhoSearchOutcome.BadTarget, $"bad target \"{target.Text}\": {why}");
                probe = found;
            }
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            deadline.CancelAfter(budget);
            Task<ScrapeSnapshot> reading = read(WhoQuery.OptionsFor(target, probe, procfsPath), deadline.Token);
            ScrapeSnapshot snapshot;
            try
            {
                snapshot = await reading.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                // The walk stops at its next pid; until it has, the next search waits (is Busy): still one at a time.
                release = false;
                _ = reading.ContinueWith(_ => _one.Release(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                return Refused(query, WhoSearchOutcome.TimedOut, aborted.IsCancellationRequested ? "the request was aborted"
                    : $"reading did not finish within {budget.TotalSeconds:0.###} s");
            }
            WhoAnswer answer = WhoQuery.Ask(target, probe, snapshot);
            var notes = answer.Notes.ToList();
            if (answer.Rows.Count == 0)
                notes.Add("nothing holds it");
            return new WhoSearchAnswer(query, WhoSearchOutcome.Answered, WhoPrinter.Tables(target, answer.Rows), notes);
        }
        finally
        {
            if (release)
                _one.Release();
        }
    }

    /// <summary>The process walk runs synchronously inside BuildAsync: on a pool thread, not the request's.</summary>
    private static Task<ScrapeSnapshot> ReadAsync(SnapshotOptions options, CancellationToken cancel) => Task.Run(async () =>
    {
        using var builder = new SnapshotBuilder(options);
        return await builder.BuildAsync(cancel);
    }, cancel);

    private static WhoSearchAnswer Refused(string query, WhoSearchOutcome outcome, string problem) => new(query, outcome, [], [], problem);
}
