using System.Runtime.CompilerServices;
using System.Text.Json;
using SocketExporter.Who.Fleet;

namespace SocketExporter.Tests.Who;

/// <summary>The Prometheus answers tools/capture-prometheus-fixtures.py recorded, read in place.</summary>
internal static class PrometheusFixture
{
    public static string Directory { get; } = Locate();

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    /// <summary>capture.json: the listener's port and pid, the two instances, each query by its first metric name.</summary>
    public static JsonElement Capture { get; } = JsonDocument.Parse(Read("capture.json")).RootElement.Clone();

    /// <summary>The recorded samples by the kind of query that fetched them.</summary>
    public static Dictionary<FleetQueryKind, IReadOnlyList<PrometheusSample>> PortResults()
    {
        var results = new Dictionary<FleetQueryKind, IReadOnlyList<PrometheusSample>>();
        foreach ((FleetQueryKind kind, string metric) in Metrics)
        {
            Assert.True(PrometheusResponse.TryParse(Read($"port-{metric}.json"), out var samples, out _, out var failure), failure?.Detail);
            results[kind] = samples;
        }
        return results;
    }

    public static readonly (FleetQueryKind Kind, string Metric)[] Metrics =
    [
        (FleetQueryKind.Listening, "socket_listening"), (FleetQueryKind.QueueLength, "socket_listen_queue_length"),
        (FleetQueryKind.QueueLimit, "socket_listen_queue_limit"), (FleetQueryKind.Connections, "socket_connections"),
        (FleetQueryKind.ProcessInfo, "socket_process_info"),
    ];

    private static string Locate([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "Fixtures", "prometheus");
}
