namespace SocketExporter.Web;

/// <summary>What tells a file changed: modification time and size (a missing file has the default stamp).
/// One stat, cheap enough to take at every handshake or request.</summary>
public readonly record struct FileStamp(DateTime ModifiedUtc, long Length)
{
    public static FileStamp Of(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.LastWriteTimeUtc, info.Length) : default;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)   // replaced or hidden meanwhile: look again next time
        {
            return default;
        }
    }
}
