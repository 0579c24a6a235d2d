namespace SocketExporter.Linux.Interop;

/// <summary>
/// What tells that a file changed: the file a path finally names (symlinks followed) with its device, inode, size and
/// change/modification times in nanoseconds. Following links matters: Kubernetes updates a mounted Secret or ConfigMap
/// by swapping a symlink, which leaves the link itself untouched. A missing or unreadable file is the default value.
/// </summary>
public readonly record struct FileVersion(uint DeviceMajor, uint DeviceMinor, ulong Inode, ulong Size,
    long ChangedSeconds, uint ChangedNanoseconds, long ModifiedSeconds, uint ModifiedNanoseconds)
{
    public static FileVersion Of(string path)
    {
        const uint mask = Constants.STATX_TYPE | Constants.STATX_INO | Constants.STATX_SIZE | Constants.STATX_CTIME | Constants.STATX_MTIME;
        if (Libc.StatxFollow(PathBytes.ToNulTerminated(Path.GetFullPath(path)), out StatxBuffer stx, mask) != 0)
            return default;
        return From(stx);
    }

    internal static FileVersion From(in StatxBuffer stx) =>
        new(stx.DevMajor, stx.DevMinor, stx.Ino, stx.Size,
            stx.CtimeSeconds, stx.CtimeNanoseconds, stx.MtimeSeconds, stx.MtimeNanoseconds);
}
