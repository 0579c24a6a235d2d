using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

/// <summary>Result of parsing one /proc/net socket table: good lines went to the sink; bad ones are counted.</summary>
public readonly record struct ProcNetTableResult(int Sockets, int BadLines, ParseError? FirstError);

public static class ProcNetTable
{
    /// <summary>Parses a whole /proc/net/{tcp,udp}[6] file: skips the header line, counts bad lines, never throws.</summary>
    public static ProcNetTableResult Parse(ReadOnlySpan<byte> text, SocketProtocol protocol, SocketFamily family, List<SocketEntry> sink)
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
            if (ProcNetSocketParser.TryParseLine(line, protocol, family, lineNumber, out SocketEntry entry, out ParseError error))
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
