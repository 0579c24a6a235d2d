using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

/// <summary>Result of parsing one /proc/net socket table: good lines went to the sink; bad ones are counted.</summary>
public readonly record struct ProcNetTableResult(int Sockets, int BadLines, ParseError? FirstError);

/// <summary>Parses one data line of a /proc/net table; false with the field that failed.</summary>
public delegate bool ProcNetLineParser<T>(ReadOnlySpan<byte> line, int lineNumber, out T entry, out ParseError error);

public static class ProcNetTable
{
    /// <summary>Parses a whole /proc/net/{tcp,udp}[6] file: skips the header line, counts bad lines, never throws.</summary>
    public static ProcNetTableResult Parse(ReadOnlySpan<byte> text, SocketProtocol protocol, SocketFamily family, List<SocketEntry> sink) =>
        ParseLines(text, (ReadOnlySpan<byte> line, int number, out SocketEntry entry, out ParseError error) =>
            ProcNetSocketParser.TryParseLine(line, protocol, family, number, out entry, out error), sink);

    /// <summary>The loop every /proc/net table shares: line 1 is the header, blank lines are not data.</summary>
    public static ProcNetTableResult ParseLines<T>(ReadOnlySpan<byte> text, ProcNetLineParser<T> parse, List<T> sink)
    {
        int good = 0, bad = 0, lineNumber = 0;
        ParseError? first = null;
        while (!text.IsEmpty)
        {
            int end = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = end < 0 ? text : text[..end];
            text = end < 0 ? default : text[(end + 1)..];
            lineNumber++;
            if (lineNumber == 1 || line.Trim((byte)' ').IsEmpty)
                continue;   // header; blank lines are not data
            if (parse(line, lineNumber, out T entry, out ParseError error))
            {
                sink.Add(entry);
                good++;
            }
            else
            {
                bad++;
                first ??= error;
            }
        }
        return new(good, bad, first);
    }
}
