using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace SocketExporter.Scraping;

/// <summary>
/// One collection and the requests waiting for it: one answer per distinct collector selection, shared by every
/// request that asked for the same selection. Open to newcomers until its exports start or its reading deadline
/// has passed. Guarded by the coordinator's lock.
/// </summary>
internal sealed class PendingCollection(long firstReadingDeadline)
{
    /// <summary>Distinct selections one collection serves. Each costs one run of the collectors over the snapshot;
    /// beyond it, newcomers start the next collection (there are few selections in practice: Prometheus sends none,
    /// a dashboard or two send one).</summary>
    public const int MaximumSelections = 16;

    private readonly List<(CollectorSelection Selection, TaskCompletionSource<ScrapeResult> Answer)> _requests = [];
    private bool _closed;

    public ReadingDeadline Deadline { get; } = new(firstReadingDeadline);

    /// <summary>The latest moment one of its requests still waits for an answer (a Stopwatch timestamp).</summary>
    public long AnswerBy { get; private set; } = long.MinValue;

    /// <summary>The answers to give once the snapshot is built; only read after <see cref="Close"/>.</summary>
    public IReadOnlyList<(CollectorSelection Selection, TaskCompletionSource<ScrapeResult> Answer)> Requests => _requests;

    /// <summary>Adds a request, never moving the collection's reading deadline: moving it later would keep the requests
    /// already waiting past their own timeouts (a partial answer would become a 503), moving it earlier would cut their
    /// reading short. False — start another collection — when it is exporting, serves too many selections, has already
    /// hit its deadline, or would stop reading too soon for a request that allows more time: one with less than
    /// <paramref name="minimumLead"/> left (what the last whole read took, with a margin) would likely answer partial.</summary>
    public bool TryJoin(CollectorSelection selection, long readingDeadline, long answerBy, long minimumLead,
        [NotNullWhen(true)] out Task<ScrapeResult>? answer)
    {
        answer = null;
        if (_closed)
            return false;
        int index = _requests.FindIndex(r => r.Selection.Equals(selection));
        if (index < 0 && _requests.Count >= MaximumSelections)
            return false;
        if (_requests.Count > 0)
        {
            long left = Deadline.Timestamp - Stopwatch.GetTimestamp();
            if (left < 0 || (readingDeadline > Deadline.Timestamp && left < minimumLead))
                return false;
        }
        AnswerBy = Math.Max(AnswerBy, answerBy);
        if (index >= 0)
        {
            answer = _requests[index].Answer.Task;
            return true;
        }
        // RunContinuationsAsynchronously: the requests resume on the pool, not inside the collection's own thread.
        var created = new TaskCompletionSource<ScrapeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add((selection, created));
        answer = created.Task;
        return true;
    }

    /// <summary>A collection for the request that found none open to join.</summary>
    public static PendingCollection StartFor(CollectorSelection selection, long readingDeadline, long answerBy, out Task<ScrapeResult> answer)
    {
        var collection = new PendingCollection(readingDeadline);
        collection.TryJoin(selection, readingDeadline, answerBy, minimumLead: 0, out Task<ScrapeResult>? first);
        answer = first!;
        return collection;
    }

    /// <summary>No request joins from now on.</summary>
    public void Close() => _closed = true;
}
