using System.Buffers.Text;

namespace SocketExporter.Linux.ProcFs;

/// <summary>Walks space- or tab-separated fields of one line of procfs text without allocating.</summary>
internal ref struct FieldCursor
{
    private ReadOnlySpan<byte> _rest;

    public FieldCursor(ReadOnlySpan<byte> text, int firstField)
    {
        _rest = text;
        FieldNumber = firstField;
    }

    /// <summary>The number of the field the cursor will read next.</summary>
    public int FieldNumber { get; private set; }

    public bool TryNext(out ReadOnlySpan<byte> field)
    {
        _rest = _rest.TrimStart(" \t"u8);
        if (_rest.IsEmpty)
        {
            field = default;
            return false;
        }
        int end = _rest.IndexOfAny((byte)' ', (byte)'\t');
        field = end < 0 ? _rest : _rest[..end];
        _rest = end < 0 ? default : _rest[end..];
        FieldNumber++;
        return true;
    }

    public bool TrySkip(int count)
    {
        for (int i = 0; i < count; i++)
            if (!TryNext(out _)) return false;
        return true;
    }

    public bool TryNextChar(out char value)
    {
        value = default;
        if (!TryNext(out ReadOnlySpan<byte> f) || f.Length != 1) return false;
        value = (char)f[0];
        return true;
    }

    public bool TryNextInt32(out int value)
    {
        value = 0;
        return TryNext(out ReadOnlySpan<byte> f) && Utf8Parser.TryParse(f, out value, out int used) && used == f.Length;
    }

    public bool TryNextUInt64(out ulong value)
    {
        value = 0;
        return TryNext(out ReadOnlySpan<byte> f) && Utf8Parser.TryParse(f, out value, out int used) && used == f.Length;
    }

    public bool TryNextHexUInt32(out uint value)
    {
        value = 0;
        return TryNext(out ReadOnlySpan<byte> f) && Utf8Parser.TryParse(f, out value, out int used, 'X') && used == f.Length;
    }
}
