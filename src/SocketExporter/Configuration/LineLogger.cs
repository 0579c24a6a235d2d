using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SocketExporter.Configuration;

/// <summary>One line per event on stderr, as logfmt (ts=… level=… msg=…) or JSON, like Go exporters log.</summary>
public sealed class LineLoggerProvider(LogFormat format, LogLevel minimum) : ILoggerProvider
{
    private readonly object _write = new();

    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName,
        IsClientDriven(categoryName) ? new LogRateLimit(TimeProvider.System) : null);

    public void Dispose() { }

    /// <summary>
    /// Sources whose lines clients can cause at will, one or more per connection or request: ASP.NET and Kestrel
    /// (connections rejected, reset, timed out, bad requests, failed handshakes) and our web layer. Their lines are
    /// rate-limited; the collection's own sources are not (they log per scrape, and scrapes are limited).
    /// </summary>
    private static bool IsClientDriven(string category) =>
        category.StartsWith("Microsoft.", StringComparison.Ordinal) || category.StartsWith("SocketExporter.Web.", StringComparison.Ordinal);

    private sealed class LineLogger : ILogger
    {
        private readonly LineLoggerProvider _provider;
        private readonly string _category;
        private readonly LogRateLimit? _rateLimit;
        private readonly Timer? _summary;

        public LineLogger(LineLoggerProvider provider, string category, LogRateLimit? rateLimit)
        {
            _provider = provider;
            _category = category;
            _rateLimit = rateLimit;
            if (rateLimit is not null)
                _summary = new Timer(_ => WriteSummary(rateLimit.TakeSummary()));
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // ASP.NET's own categories are noisy at info: keep them at warning unless debugging.
        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= _provider.Minimum && (logLevel >= LogLevel.Warning || _provider.Minimum == LogLevel.Debug
                || !_category.StartsWith("Microsoft.", StringComparison.Ordinal));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            if (_rateLimit is not null)
            {
                if (!_rateLimit.TryWrite(out int suppressed, out TimeSpan over, out bool startSummary))
                {
                    if (startSummary)
                        _summary!.Change(LogRateLimit.SummaryDelay, Timeout.InfiniteTimeSpan);
                    return;
                }
                WriteSummary((suppressed, over));
            }
            string message = formatter(state, exception) + (exception is null ? "" : " " + exception.Message);
            string level = logLevel switch
            {
                LogLevel.Trace or LogLevel.Debug => "debug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                _ => "error",
            };
            Write(level, message);
        }

        private void WriteSummary((int Suppressed, TimeSpan Over) summary)
        {
            if (summary.Suppressed > 0)
                Write("warn", string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{summary.Suppressed} lines from this source suppressed over {summary.Over.TotalSeconds:0.#} s (rate limit: {LogRateLimit.Burst} at once, then 1 per {LogRateLimit.Refill.TotalSeconds:0.#} s)"));
        }

        private void Write(string level, string message)
        {
            string ts = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
            string source = _category[(_category.LastIndexOf('.') + 1)..];
            string line = _provider.Format == LogFormat.Json
                ? $"{{\"ts\":\"{ts}\",\"level\":\"{level}\",\"source\":{Quote(source)},\"msg\":{Quote(message)}}}"
                : $"ts={ts} level={level} source={source} msg={LogfmtQuote(message)}";
            lock (_provider._write)
                Console.Error.WriteLine(line);
        }

        private static string Quote(string s) =>
            "\"" + JsonEncodedText.Encode(s, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value + "\"";

        private static string LogfmtQuote(string s)
        {
            var b = new StringBuilder(s.Length + 2).Append('"');
            foreach (char c in s)
                b.Append(c switch { '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", _ => c.ToString() });
            return b.Append('"').ToString();
        }
    }

    internal LogFormat Format => format;
    internal LogLevel Minimum => minimum;
}
