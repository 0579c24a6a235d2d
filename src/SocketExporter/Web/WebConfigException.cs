namespace SocketExporter.Web;

/// <summary>
/// A web config file (--web.config.file) that cannot be used. The message names the file, the line and the
/// key, like "web.yml:7: tls_server_config.min_version: …", so the exporter can print it and exit.
/// </summary>
public sealed class WebConfigException : Exception
{
    public WebConfigException(string filePath, long line, string key, string problem, Exception? inner = null)
        : base(Format(filePath, line, key, problem), inner)
    {
        FilePath = filePath;
        Line = line;
        Key = key;
    }

    /// <summary>The config file as given on the command line.</summary>
    public string FilePath { get; }

    /// <summary>1-based line of the offending node; 0 when the problem is the file as a whole.</summary>
    public long Line { get; }

    /// <summary>Dotted path of the offending key (tls_server_config.cert_file); empty for the file as a whole.</summary>
    public string Key { get; }

    private static string Format(string filePath, long line, string key, string problem)
    {
        string where = line > 0 ? $"{filePath}:{line}" : filePath;
        return key.Length > 0 ? $"web config {where}: {key}: {problem}" : $"web config {where}: {problem}";
    }
}
