using System.Runtime.InteropServices;

namespace SocketExporter.Linux.ProcFs;

/// <summary>
/// Iterates the linux_dirent64 records that getdents64 wrote into a buffer:
/// u64 d_ino @0, s64 d_off @8, u16 d_reclen @16, u8 d_type @18, NUL-terminated d_name @19.
/// </summary>
internal ref struct DirectoryEntries
{
    private ReadOnlySpan<byte> _rest;

    public DirectoryEntries(ReadOnlySpan<byte> records) => _rest = records;

    /// <summary>The current entry's name without its NUL.</summary>
    public ReadOnlySpan<byte> Name { get; private set; }

    /// <summary>The current entry's name including its NUL terminator, ready for an *at() call.</summary>
    public ReadOnlySpan<byte> NameZ { get; private set; }

    public bool MoveNext()
    {
        while (_rest.Length >= 20)
        {
            int recordLength = MemoryMarshal.Read<ushort>(_rest[16..]);
            if (recordLength < 20 || recordLength > _rest.Length)
                return false;   // cannot happen with a kernel-written buffer; never read past it
            ReadOnlySpan<byte> name = _rest[19..recordLength];
            _rest = _rest[recordLength..];
            int nul = name.IndexOf((byte)0);
            if (nul <= 0)
                continue;
            Name = name[..nul];
            NameZ = name[..(nul + 1)];
            if (Name.SequenceEqual("."u8) || Name.SequenceEqual(".."u8))
                continue;
            return true;
        }
        return false;
    }
}
