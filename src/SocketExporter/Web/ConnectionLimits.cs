using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace SocketExporter.Web;

/// <summary>
/// How long a connection may hold the server without asking for anything. An open connection costs a descriptor
/// and a few KiB (Kestrel allocates read buffers only when bytes arrive), so idle and trickling clients are bounded by
/// time, not by a low connection cap that they could fill to lock Prometheus out; what costs — requests being served —
/// is bounded by <see cref="RequestLimit"/> (--web.max-requests).
/// </summary>
public static class ConnectionLimits
{
    /// <summary>
    /// Far above any honest load (Prometheus servers, probes), far below the descriptor limit (.NET raises the soft
    /// RLIMIT_NOFILE to the hard one, 524288 under systemd and containerd), so a flood of connections still leaves
    /// descriptors for reading /proc; and a bound on memory: 564 held connections (ConnectionFloodTests) raised
    /// the RSS by 17 MiB over plain HTTP and 50 MiB with TLS, so a full cap costs roughly 120 or 360 MiB.
    /// </summary>
    public const int MaxConnections = 4096;

    /// <summary>Between requests, and before the first byte of the first: Kestrel's default is 130 s. Prometheus
    /// reconnects when a kept-alive connection was closed (one TCP, or TLS, handshake per scrape at worst).</summary>
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(10);

    /// <summary>From the first byte of a request to the end of its headers: a trickling (slowloris) client is cut off.</summary>
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(5);

    /// <summary>From accept to the end of the TLS handshake (Kestrel's default is 10 s).</summary>
    public static readonly TimeSpan TlsHandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A client that reads the response slower than this (measured only while Kestrel waits for it to read, after a
    /// grace period) is cut off, so a slow reader cannot hold a place under --web.max-requests. 4 KiB/s is a 32 kbit/s
    /// link; Kestrel's default is 240 B/s.
    /// </summary>
    public static readonly MinDataRate MinResponseDataRate = new(bytesPerSecond: 4096, gracePeriod: TimeSpan.FromSeconds(10));

    public static void Apply(KestrelServerLimits limits)
    {
        limits.MaxConcurrentConnections = MaxConnections;
        limits.KeepAliveTimeout = KeepAliveTimeout;
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
        limits.MinResponseDataRate = MinResponseDataRate;
        // A scrape has no body (MaxRequestBodySize is 0), so MinRequestBodyDataRate never applies.
    }
}
