using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SocketExporter.Configuration;

/// <summary>One line per event on stderr, as logfmt (ts=… level=… msg=…) or JSON, like Go exporters log.</summary>
public sealed class LineLoggerProvider(LogFormat format, LogLevel minimum) : ILoggerProvider
{
    private readonly object _write = new();

    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName);

    public void Dispose() { }

    private sealed class LineLogger(LineLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // ASP.NET's own categories are noisy at info: keep them at warning unless debugging.
        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= provider.Minimum && (logLevel >= LogLevel.Warning || provider.Minimum == LogLevel.Debug
                || !category.StartsWith("Microsoft.", StringComparison.Ordinal));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string message = formatter(state, exception) + (exception is null ? "" : " " + exception.Message);
            string level = logLevel switch
            {
                LogLevel.Trace or LogLevel.Debug => "debug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                _ => "error",
            };
            string ts = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
            string source = category[(category.LastIndexOf('.') + 1)..];
            string line = provider.Format == LogFormat.Json
                ? $"{{\"ts\":\"{ts}\",\"level\":\"{level}\",\"source\":{Quote(source)},\"msg\":{Quote(message)}}}"
                : $"ts={ts} level={level} source={source} msg={LogfmtQuote(message)}";
            lock (provider._write)
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
