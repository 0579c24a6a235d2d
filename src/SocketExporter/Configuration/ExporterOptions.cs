using System.Net;

namespace SocketExporter.Configuration;

public enum LogFormat { Logfmt, Json }

/// <summary>Everything the command line configures. Defaults need no configuration at all.</summary>
public sealed record ExporterOptions
{
    public const int DefaultPort = 9966;

    public List<IPEndPoint> ListenAddresses { get; init; } = [];
    public string TelemetryPath { get; init; } = "/metrics";
    public string? WebConfigFile { get; init; }
    /// <summary>--web.max-requests: requests to /metrics and / served at once (0: no limit).</summary>
    public int MaxRequests { get; init; } = Web.RequestLimit.Default;
    /// <summary>--web.search-timeout: how long one search of the landing page's box may read.</summary>
    public TimeSpan SearchTimeout { get; init; } = Web.WhoSearch.DefaultBudget;
    public string ProcfsPath { get; init; } = "/proc";
    public bool ProcNetOnly { get; init; }
    public List<string> WatchPaths { get; init; } = [];
    public TimeSpan ListenSampleInterval { get; init; } = Sampling.ListenerSamplingOptions.DefaultInterval;

    /// <summary>--scrape.walk-workers: threads reading /proc during a scrape.</summary>
    public int WalkWorkers { get; init; } = Linux.Reading.SnapshotOptions.DefaultWalkWorkers;
    public bool AllNamespaces { get; init; } = true;
    public bool UseSetns { get; init; } = true;
    public Collectors.MetricOptions Metrics { get; init; } = new();
    public Collectors.DeviceFilter Devices { get; init; } = Collectors.DeviceFilter.Default;
    /// <summary>The config file's expected_listeners (read at start only, like the rest of the file).</summary>
    public Collectors.ListenerPolicy ExpectedListeners { get; init; } = Collectors.ListenerPolicy.None;
    public HashSet<string> DisabledCollectors { get; init; } = [];
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;
    public LogFormat LogFormat { get; init; } = LogFormat.Logfmt;
    public bool ShowHelp { get; init; }
    public bool ShowVersion { get; init; }
}
