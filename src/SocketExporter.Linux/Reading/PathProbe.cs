using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Reading;

/// <summary>What a path names, for a one-shot question about it: a device node (matched by st_rdev, as
/// descriptors are) or a file on a filesystem (matched by st_dev, as `fuser -m` does).</summary>
public readonly record struct PathProbe(DeviceNumber? Device, FilesystemId Filesystem)
{
    /// <summary>statx of <paramref name="path"/> (made absolute), following symlinks; false with the errno's text when it fails.</summary>
    public static bool TryProbe(string path, out PathProbe probe, out string error)
    {
        probe = default;
        error = "";
        int errno = Libc.StatxFollow(PathBytes.ToNulTerminated(Path.GetFullPath(path)), out StatxBuffer stx);
        if (errno != 0)
        {
            error = Errno.Describe(errno);
            return false;
        }
        int type = stx.Mode & Constants.S_IFMT;
        DeviceNumber? device = type switch
        {
            Constants.S_IFCHR => new DeviceNumber(false, stx.RdevMajor, stx.RdevMinor),
            Constants.S_IFBLK => new DeviceNumber(true, stx.RdevMajor, stx.RdevMinor),
            _ => null,
        };
        probe = new PathProbe(device, new FilesystemId(stx.DevMajor, stx.DevMinor));
        return true;
    }
}
