using SocketExporter.Linux.Interop;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Reading;

/// <summary>
/// uid → user name from the host's passwd: the proc root's 1/root/etc/passwd when readable (a container
/// sees the host's users through it), else /etc/passwd. Unknown uids are written as numbers, as ps does.
/// Asked by every walker thread, only when a process's identity is not cached (a few times a scrape): one lock around
/// each lookup, and its own file buffer, so no walker's buffer is read from under it.
/// </summary>
public sealed class UserDirectory(string procfsPath)
{
    private readonly ProcFileReader _reader = new();
    private readonly Lock _gate = new();
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(5);
    private Dictionary<uint, string> _names = [];
    private readonly Dictionary<uint, string> _numeric = [];
    private DateTime _loadedAt = DateTime.MinValue;

    public string NameOf(uint uid)
    {
        lock (_gate)
            return Lookup(uid);
    }

    private string Lookup(uint uid)
    {
        if (DateTime.UtcNow - _loadedAt > RefreshInterval)
            Load();
        if (_names.TryGetValue(uid, out string? name))
            return name;
        if (!_numeric.TryGetValue(uid, out name))
            _numeric[uid] = name = uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return name;
    }

    private void Load()
    {
        _loadedAt = DateTime.UtcNow;
        foreach (string path in new[] { Path.Combine(procfsPath, "1/root/etc/passwd"), "/etc/passwd" })
        {
            if (_reader.TryRead(null, path, out ReadOnlySpan<byte> text, ProcFileReader.TableLimit) == 0)   // directory-synced passwd files run to megabytes
            {
                _names = PasswdParser.Parse(text, out _);
                return;
            }
        }
    }
}
