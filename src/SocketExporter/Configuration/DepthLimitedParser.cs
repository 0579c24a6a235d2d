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
/// It also refuses a mapping key that is not a plain value (a mapping, a sequence or an alias): YamlStream hashes
/// keys, and a mapping that is its own key through an alias (37 bytes found by scripts/fuzz.sh) made that hash recurse
/// until the stack overflowed. No key of our configs is anything but a scalar.
/// </summary>
public sealed class DepthLimitedParser(IParser inner, int maxDepth) : IParser
{
    /// <summary>Our configs nest four levels at most (filters.port.include, http_server_config.headers.NAME).</summary>
    public const int DefaultMaxDepth = 32;

    private int _depth;

    /// <summary>One entry per open collection: for a mapping, whether its next node is a key; null for a sequence.</summary>
    private readonly Stack<bool?> _nextIsKey = new();

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
            return false;
        ParsingEvent current = inner.Current!;
        if (current is NodeEvent or AnchorAlias && _nextIsKey.TryPeek(out bool? nextIsKey) && nextIsKey is bool isKey)
        {
            if (isKey && current is not Scalar)
                throw new YamlException(current.Start, current.End,
                    "a mapping key must be a plain value, not a mapping, a sequence or an alias");
            _nextIsKey.Pop();
            _nextIsKey.Push(!isKey);
        }
        switch (current)
        {
            case SequenceStart or MappingStart:
                if (++_depth > maxDepth)
                    throw new YamlException(current.Start, current.End,
                        $"nested more than {maxDepth} levels deep; not a configuration file");
                _nextIsKey.Push(current is MappingStart ? true : null);
                break;
            case SequenceEnd or MappingEnd:
                _depth--;
                _nextIsKey.TryPop(out _);
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
