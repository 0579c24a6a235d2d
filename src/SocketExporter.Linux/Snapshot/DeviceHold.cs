namespace SocketExporter.Linux.Snapshot;

/// <summary>A descriptor of process <see cref="ProcessIndex"/> open on a device node (matched by st_rdev).</summary>
public readonly record struct DeviceHold(int ProcessIndex, bool IsBlock, uint Major, uint Minor)
{
    public DeviceNumber Device => new(IsBlock, Major, Minor);
}
