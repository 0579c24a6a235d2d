using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace SocketExporter.Who.Fleet;

/// <summary>
/// Parses the body of an `/api/v1/query` answer into an instant vector. Pure: bytes in, samples or one line saying
/// what was wrong out (<see cref="FleetFailureKind.Api"/> when the API itself says "error", else
/// <see cref="FleetFailureKind.BadAnswer"/>); never throws on what a server, or a proxy answering HTML, sends.
/// </summary>
public static class PrometheusResponse
{
    /// <summary>At most this much of a body that is not an API answer is quoted in the error.</summary>
    private const int QuotedBytes = 80;

    public static bool TryParse(ReadOnlySpan<byte> body, out IReadOnlyList<PrometheusSample> samples,
        out IReadOnlyList<string> warnings, [NotNullWhen(false)] out FleetFailure? failure)
    {
        samples = [];
        warnings = [];
        PrometheusApiResponse? response;
        try
        {
            response = JsonSerializer.Deserialize(body, PrometheusApiJsonContext.Default.PrometheusApiResponse);
        }
        catch (JsonException e)
        {
            failure = new(FleetFailureKind.BadAnswer, $"not a Prometheus API answer ({e.Message.Split(" Path:")[0].TrimEnd('.')}): {Quote(body)}");
            return false;
        }
        if (response is null)
        {
            failure = new(FleetFailureKind.BadAnswer, "not a Prometheus API answer: null");
            return false;
        }
        warnings = response.Warnings ?? [];
        if (response.Status == "error")
        {
            failure = new(FleetFailureKind.Api, $"{response.ErrorType ?? "error"}: {response.Error ?? "(no message)"}");
            return false;
        }
        if (response.Status != "success")
        {
            failure = new(FleetFailureKind.BadAnswer, $"not a Prometheus API answer (status {(response.Status is null ? "missing" : $"\"{response.Status}\"")}): {Quote(body)}");
            return false;
        }
        if (response.Data?.ResultType is { } type && type != "vector")
        {
            failure = new(FleetFailureKind.BadAnswer, $"expected an instant vector, got a {type}");
            return false;
        }
        if (response.Data?.Result is not { } result)
        {
            failure = new(FleetFailureKind.BadAnswer, "expected an instant vector, got no data.result");
            return false;
        }
        var list = new List<PrometheusSample>(result.Count);
        for (int i = 0; i < result.Count; i++)
        {
            PrometheusApiSample s = result[i];
            if (s.Metric is null || s.Value is not [{ ValueKind: JsonValueKind.Number }, { ValueKind: JsonValueKind.String } text]
                || !TryParseValue(text.GetString()!, out double value))
            {
                failure = new(FleetFailureKind.BadAnswer, $"result {i}: expected {{\"metric\":{{…}},\"value\":[<time>,\"<number>\"]}}");
                return false;
            }
            list.Add(new PrometheusSample(s.Metric, value));
        }
        samples = list;
        failure = null;
        return true;
    }

    /// <summary>Sample values are Go's strconv.FormatFloat text: a number, "NaN", "+Inf" or "-Inf".</summary>
    private static bool TryParseValue(string text, out double value)
    {
        switch (text)
        {
            case "NaN": value = double.NaN; return true;
            case "+Inf": value = double.PositiveInfinity; return true;
            case "-Inf": value = double.NegativeInfinity; return true;
            default:
                return double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                    CultureInfo.InvariantCulture, out value);
        }
    }

    private static string Quote(ReadOnlySpan<byte> body)
    {
        string text = System.Text.Encoding.UTF8.GetString(body.Length > QuotedBytes ? body[..QuotedBytes] : body);
        text = string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c)).Trim();
        return text.Length == 0 ? "(empty body)" : $"\"{text}{(body.Length > QuotedBytes ? "…" : "")}\"";
    }
}
