using SocketExporter.Linux.Interop;

namespace SocketExporter.Web;

/// <summary>
/// Reads the web config and the files it names through <see cref="RegularFile"/> — regular files only, opened without
/// blocking, up to a cap — turning failures into errors at the key and line that named them. A FIFO in their place
/// hung every request, a link to /dev/zero read gigabytes at every reload or handshake (issue 17).
/// </summary>
internal static class ConfigFiles
{
    /// <summary>The web config: users, headers and TLS settings are a few kilobytes (1 MiB is ~10,000 users).</summary>
    public const int MaximumConfigBytes = 1024 * 1024;

    // A certificate or CA bundle is a few kilobytes (Mozilla's whole root bundle ~220 KB); this only stops a wrong
    // path (a log, a device) from being read whole.
    private const int MaximumPemBytes = 4 * 1024 * 1024;

    /// <summary>The web config's text and the version of the file it was read from.</summary>
    public static string ReadConfig(string configPath, out FileVersion version)
    {
        int errno = RegularFile.TryReadText(configPath, MaximumConfigBytes, out string text, out version);
        if (errno != 0)
            throw new WebConfigException(configPath, 0, "", "cannot read: " + Describe(errno, MaximumConfigBytes));
        return text;
    }

    public static string ReadText(string configPath, ConfigFileReference file)
    {
        int errno = RegularFile.TryReadText(file.Path, MaximumPemBytes, out string text, out _);
        if (errno != 0)
            throw Error(configPath, file, $"cannot read '{file.Path}': {Describe(errno, MaximumPemBytes)}");
        return text;
    }

    private static string Describe(int errno, int cap) =>
        errno == Errno.EFBIG ? $"larger than {cap / (1024 * 1024)} MiB" : Errno.Describe(errno);

    public static WebConfigException Error(string configPath, ConfigFileReference file, string problem, Exception? inner = null) =>
        new(configPath, file.Line, file.Key, problem, inner);
}
