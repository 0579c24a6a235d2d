namespace SocketExporter.Who.Fleet;

/// <summary>
/// How fleet mode reaches the Prometheus HTTP API (or Thanos Query, Grafana Mimir's /prometheus): the client options
/// Prometheus's own http_config has, as flags. Secrets are read from files, never given on the command line, where
/// `ps` would show them.
/// </summary>
public sealed record PrometheusClientOptions
{
    /// <summary>Default for --prometheus.timeout: the whole question (every query), not each query.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The API's base, with any path prefix (http://mimir/prometheus); /api/v1/query is appended.</summary>
    public required Uri Url { get; init; }
    public string? Username { get; init; }
    public string? PasswordFile { get; init; }
    public string? BearerTokenFile { get; init; }
    /// <summary>PEM CA certificates that replace the system's trust store for this server (http_config's ca_file).</summary>
    public string? CaFile { get; init; }
    public bool InsecureSkipVerify { get; init; }
    public TimeSpan Timeout { get; init; } = DefaultTimeout;
}
