namespace SocketExporter.Collectors;

/// <summary>Cardinality controls applied to every collector's series.</summary>
public sealed record MetricOptions
{
    public const int DefaultMaxSeries = 50_000;

    /// <summary>Series per scrape past which the rest fold into overflow series (--metrics.max-series).</summary>
    public int MaxSeries { get; init; } = DefaultMaxSeries;

    /// <summary>Series named by a unix socket path, a pool of their own (--metrics.max-unix-series).</summary>
    public int MaxUnixSeries { get; init; } = SeriesBudget.DefaultUnixPathLimit;

    public const int DefaultMaxEventLabelSets = 10_000;

    /// <summary>Label sets of the between-scrapes counters (--metrics.max-event-label-sets): a bound of their own, since a
    /// counter cannot be folded into "overflow" one scrape and unfolded the next without going back.</summary>
    public int MaxEventLabelSets { get; init; } = DefaultMaxEventLabelSets;

    /// <summary>Labels removed from every series, their values summed (e.g. pid, with --metrics.drop-pid).</summary>
    public ISet<string> DroppedLabels { get; init; } = new HashSet<string>();

    /// <summary>Include/exclude rules by program, port, state and namespace.</summary>
    public SeriesFilter Filter { get; init; } = SeriesFilter.None;
}
