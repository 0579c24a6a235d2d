using Prometheus;

namespace SocketExporter.Collectors;

/// <summary>How series that coincide once a label is dropped (pid, with --metrics.drop-pid) are combined.</summary>
public enum SeriesAggregation
{
    /// <summary>Counts: sockets, descriptors, bytes.</summary>
    Sum,

    /// <summary>Limits, where a sum means nothing: the smallest (tightest) one stands for the group.</summary>
    Min,
}

/// <summary>
/// What collectors write through: gauges whose children respect the scrape's series budget and the
/// label-dropping options. Values are added (Inc) into a fresh registry, so a series written once equals
/// Set, and series that coincide after dropping a label (pid) are summed (or, for limits, the smallest kept).
/// </summary>
public sealed class MetricWriter(IMetricFactory factory, SeriesBudget budget, ISet<string> droppedLabels, SeriesFilter? filter = null)
{
    public const string OverflowValue = "overflow";

    public BudgetedGauge Gauge(string name, string help, string[] labelNames, SeriesAggregation aggregation = SeriesAggregation.Sum)
    {
        int[] keep = Enumerable.Range(0, labelNames.Length).Where(i => !droppedLabels.Contains(labelNames[i])).ToArray();
        string[] kept = keep.Select(i => labelNames[i]).ToArray();
        // Filters see the full label set (before any label is dropped).
        var checks = new List<(int Index, Func<string, bool> Allows)>();
        for (int i = 0; i < labelNames.Length; i++)
            if (filter?.For(labelNames[i]) is { } allows)
                checks.Add((i, allows));
        return new BudgetedGauge(name, factory.CreateGauge(name, help, kept), budget, keep.Length == labelNames.Length ? null : keep,
            checks.Count == 0 ? null : checks.ToArray(), aggregation);
    }

    /// <summary>A counter family with one series per network namespace (netns is its only label): bounded by the
    /// namespaces read, so outside the series budget, like the exporter's own metrics.</summary>
    public Counter NamespaceCounter(string name, string help) => factory.CreateCounter(name, help, ["netns"]);

    /// <summary>A gauge per network namespace, optionally with more labels (bounded ones only).</summary>
    public Gauge NamespaceGauge(string name, string help, params string[] moreLabels) => factory.CreateGauge(name, help, ["netns", .. moreLabels]);

    /// <summary>A counter family whose series are kept between scrapes by their own bounded store (the between-scrapes
    /// counters): outside the per-scrape series budget, which is about series rebuilt from one snapshot.</summary>
    public Counter Counter(string name, string help, string[] labelNames) => factory.CreateCounter(name, help, labelNames);
}
