namespace SocketExporter.Collectors;

/// <summary>Which limit a series draws from.</summary>
public enum SeriesPool
{
    /// <summary>--metrics.max-series: TCP/UDP listeners and connections, processes, devices.</summary>
    General,

    /// <summary>
    /// --metrics.max-unix-series: series named by a unix socket path (unix listeners, their queues, unix connections),
    /// a limit per metric. Any user can create unix sockets by the thousand at no cost (abstract names need no file),
    /// so they get a limit of their own: a flood of them folds only unix series, never the general series that matter;
    /// and per metric, so that unix listeners, written first, cannot leave no room for their queues.
    /// </summary>
    UnixPath,
}

/// <summary>How many series one scrape may hold per pool, and what was folded away because of it, per metric.</summary>
public sealed class SeriesBudget(int limit, int unixPathLimit = SeriesBudget.DefaultUnixPathLimit)
{
    public const int DefaultUnixPathLimit = 2_000;

    private readonly Dictionary<(string Metric, SeriesPool Pool), int> _overflow = [];
    private readonly Dictionary<string, int> _unixPathUsed = [];

    public int Limit { get; } = limit;

    /// <summary>Unix-path series per metric.</summary>
    public int UnixPathLimit { get; } = unixPathLimit;

    /// <summary>Series taken from the general pool.</summary>
    public int Used { get; private set; }

    /// <summary>Unix-path series taken, all metrics together.</summary>
    public int UnixPathUsed => _unixPathUsed.Values.Sum();

    /// <summary>Series folded into overflow series, all metrics and pools together.</summary>
    public int Dropped { get; private set; }

    /// <summary>Series folded per metric and pool.</summary>
    public IReadOnlyDictionary<(string Metric, SeriesPool Pool), int> Overflow => _overflow;

    internal bool TryTake(SeriesPool pool, string metric)
    {
        if (pool == SeriesPool.UnixPath)
        {
            int used = _unixPathUsed.GetValueOrDefault(metric);
            if (used < UnixPathLimit)
            {
                _unixPathUsed[metric] = used + 1;
                return true;
            }
        }
        else if (Used < Limit)
        {
            Used++;
            return true;
        }
        Dropped++;
        _overflow[(metric, pool)] = _overflow.GetValueOrDefault((metric, pool)) + 1;
        return false;
    }

    public static string PoolLabel(SeriesPool pool) => pool == SeriesPool.UnixPath ? "max_unix_series" : "max_series";
}
