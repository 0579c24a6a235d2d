using System.Globalization;
using Microsoft.AspNetCore.Http;
using Prometheus;
using SocketExporter.Scraping;

namespace SocketExporter.Web;

/// <summary>
/// GET /metrics: waits for the shared collection, then serves its registry through prometheus-net's
/// MetricServerMiddleware (text or OpenMetrics, negotiated from Accept). A collection that fails, or does
/// not finish within Prometheus's scrape timeout, answers 503 with the reason.
/// </summary>
public sealed class MetricsEndpoint(ScrapeCoordinator coordinator)
{
    // Leave Prometheus time to receive the body before its own timeout fires.
    private static readonly TimeSpan TimeoutMargin = TimeSpan.FromMilliseconds(500);
    private static readonly RequestDelegate NoNext = _ => Task.CompletedTask;

    public async Task HandleAsync(HttpContext context)
    {
        Task<ScrapeResult> collection = coordinator.CollectAsync();
        TimeSpan budget = ScrapeBudget(context.Request.Headers);
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
        var middleware = new MetricServerMiddleware(NoNext, new MetricServerMiddleware.Settings { Registry = result.Registry });
        await middleware.Invoke(context);
    }

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
