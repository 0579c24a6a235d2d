namespace SocketExporter.Who.Fleet;

public enum FleetFailureKind
{
    /// <summary>A flag's file could not be read, or flags contradict each other.</summary>
    Configuration,
    /// <summary>No connection: refused, no route, DNS, TLS handshake.</summary>
    Unreachable,
    /// <summary>--prometheus.timeout passed before every query was answered.</summary>
    Timeout,
    /// <summary>An HTTP status other than 200 with no API error in the body (401, 404 from a wrong path, a proxy's 502).</summary>
    HttpStatus,
    /// <summary>The API answered status "error" (bad_data, execution, timeout…).</summary>
    Api,
    /// <summary>The body is not an API answer (HTML from a login page, truncated JSON, a matrix).</summary>
    BadAnswer,
    /// <summary>No series at all of a metric the question needs.</summary>
    MissingSeries,
}

/// <summary>Why fleet mode could not answer; formatted once, at the command's edge.</summary>
public sealed record FleetFailure(FleetFailureKind Kind, string Detail);
