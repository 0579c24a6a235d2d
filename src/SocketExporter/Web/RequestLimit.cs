using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SocketExporter.Web;

/// <summary>
/// --web.max-requests: how many requests to /metrics and / are served at once; one more is answered 503 at once,
/// as node_exporter's promhttp.HandlerOpts.MaxRequestsInFlight does, instead of queueing behind the others. A request
/// holds its place while it waits for the collection and while its response is written (a slow reader is cut off by
/// <see cref="ConnectionLimits.MinResponseDataRate"/>). 0 means no limit.
/// </summary>
public sealed class RequestLimit(int limit, ILogger log)
{
    /// <summary>node_exporter's default.</summary>
    public const int Default = 40;

    private int _inFlight;

    public RequestDelegate Guard(RequestDelegate handler) => limit <= 0 ? handler : async context =>
    {
        try
        {
            if (Interlocked.Increment(ref _inFlight) > limit)
            {
                // The log is rate-limited per source (LineLoggerProvider): a flood of rejections writes a few lines.
                log.LogWarning("{Limit} requests in flight (--web.max-requests): answered 503 to {Client}", limit, context.Connection.RemoteIpAddress);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync($"Limit of concurrent requests reached ({limit}), try again later.\n");
                return;
            }
            await handler(context);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    };
}
