using System.Text.RegularExpressions;

namespace SocketExporter.Collectors;

/// <summary>A set of ports written as "80,443,8000-8999".</summary>
public sealed class PortRanges
{
    private readonly List<(int Low, int High)> _ranges;

    private PortRanges(List<(int, int)> ranges) => _ranges = ranges;

    public static PortRanges Parse(string text)
    {
        var ranges = new List<(int, int)>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string[] ends = part.Split('-', 2);
            if (!int.TryParse(ends[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int low)
                || !int.TryParse(ends[^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int high)
                || low > high || high > 65535)
                throw new FormatException($"'{part}' is not a port or a range low-high within 0-65535");
            ranges.Add((low, high));
        }
        if (ranges.Count == 0)
            throw new FormatException("no port given");
        return new PortRanges(ranges);
    }

    public bool Contains(int port) => _ranges.Exists(r => port >= r.Low && port <= r.High);
}

/// <summary>
/// Include/exclude rules applied to every series by label name: program (regex), port (ranges), state (names)
/// and netns (regex). A series passes when each rule's label, if it has that label, is included and not
/// excluded. Empty label values (no holder, unix ports) are never filtered out by port or program includes.
/// </summary>
public sealed record SeriesFilter
{
    public Regex? ProgramInclude { get; init; }
    public Regex? ProgramExclude { get; init; }
    public PortRanges? PortInclude { get; init; }
    public PortRanges? PortExclude { get; init; }
    public IReadOnlySet<string>? StateInclude { get; init; }
    public IReadOnlySet<string>? StateExclude { get; init; }
    public Regex? NetnsInclude { get; init; }
    public Regex? NetnsExclude { get; init; }

    public static SeriesFilter None { get; } = new();

    /// <summary>A predicate over one label's values, or null when no rule concerns that label.</summary>
    public Func<string, bool>? For(string labelName) => labelName switch
    {
        "program" when ProgramInclude is not null || ProgramExclude is not null => Cached(v => v.Length == 0
            || ((ProgramInclude?.IsMatch(v) ?? true) && !(ProgramExclude?.IsMatch(v) ?? false))),
        "port" when PortInclude is not null || PortExclude is not null => Cached(v => !int.TryParse(v, out int port)
            || ((PortInclude?.Contains(port) ?? true) && !(PortExclude?.Contains(port) ?? false))),
        "state" when StateInclude is not null || StateExclude is not null => v =>
            (StateInclude?.Contains(v) ?? true) && !(StateExclude?.Contains(v) ?? false),
        "netns" when NetnsInclude is not null || NetnsExclude is not null => Cached(v =>
            (NetnsInclude?.IsMatch(v) ?? true) && !(NetnsExclude?.IsMatch(v) ?? false)),
        _ => null,
    };

    // Label values repeat (programs, ports, namespaces): decide each once. Bounded, since namespace inodes and
    // programs come and go over the life of the process.
    private const int CacheLimit = 4096;

    private static Func<string, bool> Cached(Func<string, bool> decide)
    {
        var seen = new Dictionary<string, bool>();
        return v =>
        {
            if (!seen.TryGetValue(v, out bool ok))
            {
                if (seen.Count >= CacheLimit)
                    seen.Clear();
                seen[v] = ok = decide(v);
            }
            return ok;
        };
    }
}
