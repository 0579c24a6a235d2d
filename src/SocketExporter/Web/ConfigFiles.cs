namespace SocketExporter.Web;

/// <summary>Reads the files a web config names, turning failures into errors at the key and line that named them.</summary>
internal static class ConfigFiles
{
    // A certificate or CA bundle is a few kilobytes; this only stops a wrong path (a log, a device) from being read whole.
    private const long MaximumBytes = 16 * 1024 * 1024;

    public static string ReadText(string configPath, ConfigFileReference file)
    {
        try
        {
            using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.CanSeek && stream.Length > MaximumBytes)
                throw Error(configPath, file, $"'{file.Path}' is larger than {MaximumBytes / (1024 * 1024)} MiB; not a PEM file");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Error(configPath, file, $"cannot read '{file.Path}': {e.Message}", e);
        }
    }

    public static WebConfigException Error(string configPath, ConfigFileReference file, string problem, Exception? inner = null) =>
        new(configPath, file.Line, file.Key, problem, inner);
}
