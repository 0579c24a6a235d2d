using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SocketExporter.Web;

/// <summary>
/// --web.max-requests: how many responses of /metrics and / are produced at once — what costs memory and CPU (the
/// exposition text, the landing page). Waiting for the shared collection costs nothing (no thread, one task), so it
/// does not count: a request takes a turn only once its answer is ready, and one beyond the limit waits for a turn, in
/// order, within its own scrape timeout, then gets a 503. Unlike node_exporter's MaxRequestsInFlight, which answers
/// 503 at once, a flood of clients cannot make Prometheus's own scrape fail by filling the places first: it waits
/// behind at most the responses being written. 0 means no limit.
/// </summary>
public sealed class RequestLimit(int limit, ILogger log)
{
    /// <summary>node_exporter's default.</summary>
    public const int Default = 40;

    /// <summary>How long a request for the landing page waits for a turn.</summary>
    public static readonly TimeSpan PageWait = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim? _turns = limit > 0 ? new SemaphoreSlim(limit, limit) : null;

    /// <summary>A turn to produce a response, or null when none came within <paramref name="wait"/>. Dispose it to give the
    /// turn back.</summary>
    public async Task<IDisposable?> WaitTurnAsync(TimeSpan wait, CancellationToken aborted)
    {
        if (_turns is null)
            return NoTurn.Instance;
        if (wait < TimeSpan.Zero)
            wait = TimeSpan.Zero;
        if (!await _turns.WaitAsync(wait, aborted).ConfigureAwait(false))
            return null;
        return new Turn(_turns);
    }

    /// <summary>The response to a request that got no turn in time.</summary>
    public Task RejectAsync(HttpContext context)
    {
        // The log is rate-limited per source (LineLoggerProvider): a flood of rejections writes a few lines.
        log.LogWarning("{Limit} responses being written (--web.max-requests) and no turn within the timeout: answered 503 to {Client}",
            limit, context.Connection.RemoteIpAddress);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync($"Limit of concurrent requests reached ({limit}), try again later.\n");
    }

    private sealed class Turn(SemaphoreSlim turns) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                turns.Release();
        }
    }

    private sealed class NoTurn : IDisposable
    {
        public static readonly NoTurn Instance = new();
        public void Dispose() { }
    }
}
