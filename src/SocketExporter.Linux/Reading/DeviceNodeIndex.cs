using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Reading;

/// <summary>
/// Device number → the host's path for it, from the proc root's 1/root/dev (the host's /dev seen through pid 1,
/// so a container exporter names devices as the host does), else /dev. Descriptors are matched by st_rdev, so a
/// container that opens the same device through its own node still counts; the path is only a name.
/// Rescanned at most once a minute (and at most every 10 s when an unknown device shows up).
/// </summary>
public sealed class DeviceNodeIndex(string procfsPath)
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1), UnknownRetryInterval = TimeSpan.FromSeconds(10);
    private const int MaxDepth = 4;   // /dev/bus/usb/001/002 is the deepest common node

    private Dictionary<DeviceNumber, string> _names = [];
    private DateTime _scannedAt = DateTime.MinValue;

    /// <summary>Returns the names for the devices held this scrape, rescanning when stale.</summary>
    public IReadOnlyDictionary<DeviceNumber, string> Resolve(IEnumerable<DeviceNumber> held)
    {
        TimeSpan age = DateTime.UtcNow - _scannedAt;
        bool unknown = age > UnknownRetryInterval && held.Any(d => !_names.ContainsKey(d));
        if (age > RefreshInterval || unknown)
            Scan();
        return _names;
    }

    private void Scan()
    {
        _scannedAt = DateTime.UtcNow;
        string hostDev = Path.Combine(procfsPath, "1", "root", "dev");
        string root = Directory.Exists(hostDev) ? hostDev : "/dev";
        var names = new Dictionary<DeviceNumber, string>();
        ScanDirectory(root, "/dev", 0, names);
        _names = names;
    }

    private static void ScanDirectory(string directory, string shownAs, int depth, Dictionary<DeviceNumber, string> names)
    {
        string[] entries;
        try
        {
            entries = Directory.GetFileSystemEntries(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        Array.Sort(entries, StringComparer.Ordinal);   // first path in order wins: stable names
        foreach (string entry in entries)
        {
            string name = Path.GetFileName(entry), shown = shownAs + "/" + name;
            if (Libc.StatxNoFollow(PathBytes.ToNulTerminated(entry), out StatxBuffer stx) != 0)
                continue;
            int type = stx.Mode & Constants.S_IFMT;
            if (type == Constants.S_IFDIR && depth < MaxDepth && name != "fd" && name != "shm" && name != "mqueue")
                ScanDirectory(entry, shown, depth + 1, names);
            else if (type is Constants.S_IFCHR or Constants.S_IFBLK)
                names.TryAdd(new DeviceNumber(type == Constants.S_IFBLK, stx.RdevMajor, stx.RdevMinor), shown);
        }
    }
}
