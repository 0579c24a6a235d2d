using Prometheus;

namespace SocketExporter.Collectors;

/// <summary>A gauge family of one scrape. Past its pool's limit, further series fold into one series whose
/// labels all read "overflow", and the budget counts them per metric and pool.</summary>
public sealed class BudgetedGauge
{
    // What every view of one family shares (see ForUnixPaths): the gauge, its children and the overflow series.
    private sealed class Family(string name, Gauge gauge, SeriesBudget budget, int[]? keep,
        (int Index, Func<string, bool> Allows)[]? filters, SeriesAggregation aggregation)
    {
        public readonly string Name = name;
        public readonly Gauge Gauge = gauge;
        public readonly SeriesBudget Budget = budget;
        public readonly int[]? Keep = keep;
        public readonly (int Index, Func<string, bool> Allows)[]? Filters = filters;
        public readonly SeriesAggregation Aggregation = aggregation;
        public readonly Dictionary<LabelKey, Gauge.Child> Children = new();
        // Series already folded (with dropped labels the same series can be written again): counted once.
        public readonly HashSet<LabelKey> Folded = new();
        public Gauge.Child? Overflow;
    }

    private readonly Family _family;
    private readonly SeriesPool _pool;

    internal BudgetedGauge(string name, Gauge gauge, SeriesBudget budget, int[]? keep, (int, Func<string, bool>)[]? filters,
        SeriesAggregation aggregation)
        : this(new Family(name, gauge, budget, keep, filters, aggregation), SeriesPool.General)
    {
    }

    private BudgetedGauge(Family family, SeriesPool pool)
    {
        _family = family;
        _pool = pool;
    }

    /// <summary>The same family, writing series that draw from the unix-path pool (--metrics.max-unix-series).</summary>
    public BudgetedGauge ForUnixPaths() => new(_family, SeriesPool.UnixPath);

    /// <summary>Adds to a series. Collectors aggregate first, so without dropped labels every call is a new
    /// series and needs no lookup; with dropped labels, calls that coincide are combined (summed, or the smallest kept).</summary>
    public void Add(double value, params string[] labelValues)
    {
        Family f = _family;
        if (f.Filters is not null)
            foreach ((int index, Func<string, bool> allows) in f.Filters)
                if (!allows(labelValues[index]))
                    return;
        if (f.Keep is null)
        {
            if (f.Budget.TryTake(_pool, f.Name))
                f.Gauge.WithLabels(labelValues).Inc(value);
            else
                AddToOverflow(value, labelValues.Length);
            return;
        }
        string[] values = Array.ConvertAll(f.Keep, i => labelValues[i]);
        var key = new LabelKey(values);
        if (f.Children.TryGetValue(key, out Gauge.Child? child))
        {
            Combine(child, value);
            return;
        }
        if (f.Folded.Contains(key) || !f.Budget.TryTake(_pool, f.Name))
        {
            f.Folded.Add(key);
            AddToOverflow(value, values.Length);
            return;
        }
        f.Children[key] = child = f.Gauge.WithLabels(values);
        child.Inc(value);
    }

    private void Combine(Gauge.Child child, double value)
    {
        if (_family.Aggregation == SeriesAggregation.Min)
            child.Set(Math.Min(child.Value, value));
        else
            child.Inc(value);
    }

    private void AddToOverflow(double value, int labelCount)
    {
        Family f = _family;
        if (f.Overflow is null)
        {
            f.Overflow = f.Gauge.WithLabels(Enumerable.Repeat(MetricWriter.OverflowValue, labelCount).ToArray());
            f.Overflow.Set(value);
        }
        else
            Combine(f.Overflow, value);
    }

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
