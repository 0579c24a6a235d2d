using Prometheus;

namespace SocketExporter.Collectors;

/// <summary>How many series one scrape may hold, and what was folded away because of it.</summary>
public sealed class SeriesBudget(int limit)
{
    public int Limit { get; } = limit;
    public int Used { get; private set; }
    public int Dropped { get; private set; }

    internal bool TryTake()
    {
        if (Used >= Limit) { Dropped++; return false; }
        Used++;
        return true;
    }
}

/// <summary>
/// What collectors write through: gauges whose children respect the scrape's series budget and the
/// label-dropping options. Values are added (Inc) into a fresh registry, so a series written once equals
/// Set, and series that coincide after dropping a label (pid) are summed.
/// </summary>
public sealed class MetricWriter(IMetricFactory factory, SeriesBudget budget, ISet<string> droppedLabels, SeriesFilter? filter = null)
{
    public const string OverflowValue = "overflow";

    public SeriesBudget Budget => budget;

    public BudgetedGauge Gauge(string name, string help, string[] labelNames)
    {
        int[] keep = Enumerable.Range(0, labelNames.Length).Where(i => !droppedLabels.Contains(labelNames[i])).ToArray();
        string[] kept = keep.Select(i => labelNames[i]).ToArray();
        // Filters see the full label set (before any label is dropped).
        var checks = new List<(int Index, Func<string, bool> Allows)>();
        for (int i = 0; i < labelNames.Length; i++)
            if (filter?.For(labelNames[i]) is { } allows)
                checks.Add((i, allows));
        return new BudgetedGauge(factory.CreateGauge(name, help, kept), budget, keep.Length == labelNames.Length ? null : keep,
            checks.Count == 0 ? null : checks.ToArray());
    }

    /// <summary>A counter family with one series per network namespace (netns is its only label): bounded by the
    /// namespaces read, so outside the series budget, like the exporter's own metrics.</summary>
    public Counter NamespaceCounter(string name, string help) => factory.CreateCounter(name, help, ["netns"]);
}

/// <summary>A gauge family of one scrape. Past the budget, further series fold into one series whose
/// labels all read "overflow", and the budget counts them.</summary>
public sealed class BudgetedGauge
{
    private readonly Gauge _gauge;
    private readonly SeriesBudget _budget;
    private readonly int[]? _keep;
    private readonly (int Index, Func<string, bool> Allows)[]? _filters;
    private readonly Dictionary<LabelKey, Gauge.Child> _children = new();
    private Gauge.Child? _overflow;

    internal BudgetedGauge(Gauge gauge, SeriesBudget budget, int[]? keep, (int, Func<string, bool>)[]? filters)
    {
        _gauge = gauge;
        _budget = budget;
        _keep = keep;
        _filters = filters;
    }

    /// <summary>Adds to a series. Collectors aggregate first, so without dropped labels every call is a new
    /// series and needs no lookup; with dropped labels, calls that coincide are summed.</summary>
    public void Add(double value, params string[] labelValues)
    {
        if (_filters is not null)
            foreach ((int index, Func<string, bool> allows) in _filters)
                if (!allows(labelValues[index]))
                    return;
        if (_keep is null)
        {
            if (_budget.TryTake())
                _gauge.WithLabels(labelValues).Inc(value);
            else
                Overflow(labelValues.Length).Inc(value);
            return;
        }
        string[] values = _keep is null ? labelValues : Array.ConvertAll(_keep, i => labelValues[i]);
        var key = new LabelKey(values);
        if (!_children.TryGetValue(key, out Gauge.Child? child))
        {
            if (!_budget.TryTake())
            {
                Overflow(values.Length).Inc(value);
                return;
            }
            _children[key] = child = _gauge.WithLabels(values);
        }
        child.Inc(value);
    }

    private Gauge.Child Overflow(int labelCount) =>
        _overflow ??= _gauge.WithLabels(Enumerable.Repeat(MetricWriter.OverflowValue, labelCount).ToArray());

    private readonly struct LabelKey(string[] values) : IEquatable<LabelKey>
    {
        private readonly string[] _values = values;

        public bool Equals(LabelKey other) => _values.AsSpan().SequenceEqual(other._values);

        public override bool Equals(object? obj) => obj is LabelKey k && Equals(k);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (string v in _values) hash.Add(v);
            return hash.ToHashCode();
        }
    }
}
