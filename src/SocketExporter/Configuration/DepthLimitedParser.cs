using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace SocketExporter.Configuration;

/// <summary>
/// Stands between YamlDotNet's parser and <see cref="YamlStream"/> and stops a document nested deeper than a limit.
/// The parser is an iterative state machine, but YamlStream builds its node tree recursively, a few stack frames per
/// level: 100,000 nested "[" overflowed the stack (SIGSEGV, which no catch can stop) and 50,000 took 18 s
/// (issue 17). Counting the start and end events here throws before the tree is any deeper than the limit.
/// Every failure to load is a <see cref="YamlException"/> with a line, whatever YamlDotNet threw.
/// </summary>
public sealed class DepthLimitedParser(IParser inner, int maxDepth) : IParser
{
    /// <summary>Our configs nest four levels at most (filters.port.include, http_server_config.headers.NAME).</summary>
    public const int DefaultMaxDepth = 32;

    private int _depth;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
            return false;
        switch (inner.Current)
        {
            case SequenceStart or MappingStart:
                if (++_depth > maxDepth)
                    throw new YamlException(inner.Current.Start, inner.Current.End,
                        $"nested more than {maxDepth} levels deep; not a configuration file");
                break;
            case SequenceEnd or MappingEnd:
                _depth--;
                break;
        }
        return true;
    }

    /// <summary>Loads every document of <paramref name="text"/>; throws <see cref="YamlException"/> on bad or too deep YAML.</summary>
    public static YamlStream Load(string text, int maxDepth = DefaultMaxDepth)
    {
        var stream = new YamlStream();
        var parser = new DepthLimitedParser(new Parser(new StringReader(text)), maxDepth);
        try
        {
            stream.Load(parser);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet 18.1.0 throws these, not a YamlException, on some broken text (found by scripts/fuzz.sh):
            // InvalidOperationException from the scanner for an unclosed flow collection followed by a plain scalar at
            // column 0 (": [\n2"), ArgumentException for a tag that is not a URI ("!!+7") and from the node loader for
            // " : e". They are syntax errors: report them as such, at the last event that parsed.
            Mark at = parser.Current?.Start ?? Mark.Empty;
            throw new YamlException(at, at, "the YAML parser failed: " + e.Message, e);
        }
        return stream;
    }
}
