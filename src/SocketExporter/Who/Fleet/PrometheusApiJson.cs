using System.Text.Json;
using System.Text.Json.Serialization;

namespace SocketExporter.Who.Fleet;

// The shapes of the Prometheus HTTP API's answer (prometheus/docs querying/api.md, "Format overview" and
// "Instant vectors"), which Thanos Query and Grafana Mimir serve too:
//   {"status":"success"|"error", "data":{"resultType":"vector","result":[{"metric":{…},"value":[<unix time>,"<value>"]}]},
//    "errorType":"…", "error":"…", "warnings":["…"]}
// Everything is nullable: what is missing is reported by PrometheusResponse, not by an exception here.

internal sealed class PrometheusApiResponse
{
    public string? Status { get; set; }
    public PrometheusApiData? Data { get; set; }
    public string? ErrorType { get; set; }
    public string? Error { get; set; }
    public List<string>? Warnings { get; set; }
}

internal sealed class PrometheusApiData
{
    public string? ResultType { get; set; }
    public List<PrometheusApiSample>? Result { get; set; }
}

internal sealed class PrometheusApiSample
{
    public Dictionary<string, string>? Metric { get; set; }
    /// <summary>[unix time as a number, value as a string]: a heterogeneous pair, checked by hand.</summary>
    public List<JsonElement>? Value { get; set; }
}

/// <summary>Source-generated: the binary is NativeAOT-published, where reflection-based serialization is trimmed away.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PrometheusApiResponse))]
internal sealed partial class PrometheusApiJsonContext : JsonSerializerContext;
