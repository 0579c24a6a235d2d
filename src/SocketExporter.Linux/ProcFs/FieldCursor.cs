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

    /// <summary>The number of the field the cursor will read next (after a failed typed read: the field that failed).</summary>
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

    /// <summary>The rest of the line after the fields read so far (for a last field that may contain spaces).</summary>
    public readonly ReadOnlySpan<byte> Remaining => _rest.TrimStart(" \t"u8);

    public bool TrySkip(int count)
    {
        for (int i = 0; i < count; i++)
            if (!TryNext(out _)) return false;
        return true;
    }

    // The typed readers leave FieldNumber on the field that failed, whether it was missing or malformed.
    public bool TryNextChar(out char value)
    {
        value = default;
        if (!TryNext(out ReadOnlySpan<byte> f)) return false;
        if (f.Length != 1) return Reject();
        value = (char)f[0];
        return true;
    }

    public bool TryNextInt32(out int value)
    {
        value = 0;
        if (!TryNext(out ReadOnlySpan<byte> f)) return false;
        return (IsUnsignedDigits(f) && Utf8Parser.TryParse(f, out value, out int used) && used == f.Length) || Reject();
    }

    public bool TryNextUInt64(out ulong value)
    {
        value = 0;
        if (!TryNext(out ReadOnlySpan<byte> f)) return false;
        return (IsUnsignedDigits(f) && Utf8Parser.TryParse(f, out value, out int used) && used == f.Length) || Reject();
    }

    public bool TryNextHexUInt32(out uint value)
    {
        value = 0;
        if (!TryNext(out ReadOnlySpan<byte> f)) return false;
        return (Utf8Parser.TryParse(f, out value, out int used, 'X') && used == f.Length) || Reject();
    }

    private bool Reject()
    {
        FieldNumber--;
        return false;
    }

    // procfs prints unsigned decimals; a sign means the text is not what we think it is.
    private static bool IsUnsignedDigits(ReadOnlySpan<byte> f) => !f.IsEmpty && f.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
}
