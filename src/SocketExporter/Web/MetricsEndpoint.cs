using System.Globalization;
using Microsoft.AspNetCore.Http;
using Prometheus;
using SocketExporter.Collectors;
using SocketExporter.Scraping;

namespace SocketExporter.Web;

/// <summary>
/// GET /metrics: waits for the shared collection, then serves its registry through prometheus-net's
/// MetricServerMiddleware (text or OpenMetrics, negotiated from Accept). The collection reads until 75% of
/// Prometheus's scrape timeout and then answers with what it has, marked partial; a collection that fails, or cannot
/// answer within the timeout even so, answers 503 with the reason.
/// </summary>
public sealed class MetricsEndpoint(ScrapeCoordinator coordinator, CollectorRunner runner, ScrapeMemoryReclaimer reclaimer,
    RequestLimit turns)
{
    // Leave Prometheus time to receive the body before its own timeout fires.
    private static readonly TimeSpan TimeoutMargin = TimeSpan.FromMilliseconds(500);
    private static readonly RequestDelegate NoNext = _ => Task.CompletedTask;

    public async Task HandleAsync(HttpContext context)
    {
        IReadOnlySet<string>? only;
        try
        {
            only = SelectedCollectors(context.Request.Query);
        }
        catch (ArgumentException e)
        {
            // The message echoes the client's collect[] value: plain text that no browser may sniff into HTML.
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.ContentType = "text/plain; charset=utf-8";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            await context.Response.WriteAsync(e.Message + "\n");
            return;
        }
        TimeSpan budget = ScrapeBudget(context.Request.Headers);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Task<ScrapeResult> collection = coordinator.CollectAsync(only, budget);
        ScrapeResult result;
        try
        {
            result = await collection.WaitAsync(budget, context.RequestAborted);
        }
        catch (TimeoutException)
        {
            await Unavailable(context, $"collection did not finish within the scrape timeout ({budget.TotalSeconds:0.###} s)");
            return;
        }
        if (result.Registry is null)
        {
            await Unavailable(context, result.Failure ?? "collection failed");
            return;
        }
        // Writing the exposition is what costs: --web.max-requests bounds how many are written at once.
        using IDisposable? turn = await turns.WaitTurnAsync(budget - clock.Elapsed, context.RequestAborted);
        if (turn is null)
        {
            await turns.RejectAsync(context);
            return;
        }
        context.Response.OnCompleted(() =>
        {
            reclaimer.AfterResponse();
            return Task.CompletedTask;
        });
        var middleware = new MetricServerMiddleware(NoNext, new MetricServerMiddleware.Settings { Registry = result.Registry });
        await middleware.Invoke(context);
    }

    /// <summary>node_exporter's ?collect[]=NAME (only these) and ?exclude[]=NAME (all but these); unknown names are a 400.</summary>
    private IReadOnlySet<string>? SelectedCollectors(IQueryCollection query)
    {
        var collect = query["collect[]"];
        var exclude = query["exclude[]"];
        if (collect.Count == 0 && exclude.Count == 0)
            return null;
        if (collect.Count > 0 && exclude.Count > 0)
            throw new ArgumentException("collect[] and exclude[] cannot be combined");
        var enabled = runner.Collectors.Select(c => c.Name).ToHashSet();
        foreach (string? name in collect.Concat(exclude))
            if (name is null || !enabled.Contains(name))
                throw new ArgumentException($"unknown or disabled collector in collect[]/exclude[]: '{Truncate(name)}'");
        return collect.Count > 0 ? collect.Select(n => n!).ToHashSet() : enabled.Except(exclude.Select(n => n!)).ToHashSet();
    }

    private static string Truncate(string? s) => s is null ? "" : s.Length <= 64 ? s : s[..64] + "…";

    private static TimeSpan ScrapeBudget(IHeaderDictionary headers)
    {
        if (double.TryParse(headers["X-Prometheus-Scrape-Timeout-Seconds"], NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds)
            && seconds > 0 && seconds < 3600)
        {
            TimeSpan budget = TimeSpan.FromSeconds(seconds) - TimeoutMargin;
            return budget > TimeSpan.FromMilliseconds(100) ? budget : TimeSpan.FromMilliseconds(100);
        }
        return ScrapeCoordinator.MaximumCollectionTime;
    }

    private static Task Unavailable(HttpContext context, string reason)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(reason + "\n");
    }
}
