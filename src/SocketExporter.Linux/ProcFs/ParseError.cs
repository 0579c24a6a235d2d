namespace SocketExporter.Linux.ProcFs;

/// <summary>Where a procfs text failed to parse: the file kind, the 1-based line, and the field number.</summary>
public readonly record struct ParseError(string Source, int Line, int Field)
{
    public override string ToString() => $"{Source}: line {Line}, field {Field}";
}
