namespace SocketExporter.Sampling;

/// <summary>The label set of socket_listeners_opened_total / _closed_total (protocol is always tcp).</summary>
public readonly record struct ListenerChurnKey(string Port, string Program, string Netns);

/// <summary>
/// Listeners opened and closed since the exporter started, per port, program and namespace. At most
/// <see cref="MaxLabelSets"/> label sets: beyond that, changes are counted under port="overflow", program="overflow"
/// (and <see cref="Overflowed"/>), so a host that opens listeners on ever new ports cannot grow the series without end.
/// Used by one scrape at a time.
/// </summary>
public sealed class ListenerChurnCounters(int maxLabelSets = ListenerChurnCounters.DefaultMaxLabelSets)
{
    public const int DefaultMaxLabelSets = 10_000;

    private readonly Dictionary<ListenerChurnKey, (long Opened, long Closed)> _totals = [];

    public long Overflowed { get; private set; }

    public void Count(ListenerChurnKey key, bool opened)
    {
        if (!_totals.ContainsKey(key) && _totals.Count >= maxLabelSets)
        {
            key = key with { Port = Collectors.MetricWriter.OverflowValue, Program = Collectors.MetricWriter.OverflowValue };
            Overflowed++;
        }
        (long o, long c) = _totals.GetValueOrDefault(key);
        _totals[key] = opened ? (o + 1, c) : (o, c + 1);
    }

    public IReadOnlyDictionary<ListenerChurnKey, (long Opened, long Closed)> Totals => _totals;
}
