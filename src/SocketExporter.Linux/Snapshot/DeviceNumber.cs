namespace SocketExporter.Linux.Snapshot;

/// <summary>A device as the kernel identifies it (st_rdev): character or block, major, minor.</summary>
public readonly record struct DeviceNumber(bool IsBlock, uint Major, uint Minor)
{
    public override string ToString() => $"{Major}:{Minor}";
}
