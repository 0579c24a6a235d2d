namespace SocketExporter.Linux.Snapshot;

/// <summary>What a descriptor refers to, as lsof's TYPE column groups it.</summary>
public enum FdKind
{
    Socket,
    File,
    Pipe,
    AnonInode,
    CharDevice,
    BlockDevice,
    Directory,
    Other,
}

public static class FdKindNames
{
    public const int Count = 8;

    private static readonly string[] Names = ["socket", "file", "pipe", "anon_inode", "char_device", "block_device", "directory", "other"];

    public static string LabelValue(FdKind kind) => Names[(int)kind];
}
