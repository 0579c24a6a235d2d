using System.Text;
using SocketExporter.Who.Fleet;

namespace SocketExporter.Tests.Who;

[Trait("Category", "Unit")]
public sealed class PrometheusResponseTests
{
    [Fact]
    public void TryParse_CapturedListening_ReadsBothInstancesLabelsAndValues()
    {
        Assert.True(PrometheusResponse.TryParse(PrometheusFixture.Read("port-socket_listening.json"), out var samples, out var warnings, out var failure), failure?.Detail);
        Assert.Empty(warnings);
        Assert.Equal(2, samples.Count);
        string port = PrometheusFixture.Capture.GetProperty("port").GetInt32().ToString();
        string pid = PrometheusFixture.Capture.GetProperty("pid").GetInt32().ToString();
        Assert.All(samples, s => Assert.Equal(("socket_listening", port, pid, "tcp", "127.0.0.1", 1.0),
            (s.Label("__name__"), s.Label("port"), s.Label("pid"), s.Label("protocol"), s.Label("address"), s.Value)));
        Assert.Equal(PrometheusFixture.Capture.GetProperty("instances").EnumerateArray().Select(e => e.GetString()).Order(),
            samples.Select(s => s.Label("instance")).Order());
    }

    [Fact]
    public void TryParse_CapturedBadData_IsAnApiErrorWithPrometheusMessage()
    {
        Assert.False(PrometheusResponse.TryParse(PrometheusFixture.Read("error-bad-data.json"), out _, out _, out var failure));
        Assert.Equal(FleetFailureKind.Api, failure.Kind);
        Assert.StartsWith("bad_data: ", failure.Detail);
        Assert.Contains("parse error", failure.Detail);
    }

    [Fact]
    public void TryParse_CapturedPresenceOfMissingMetric_IsAnEmptyVector()
    {
        Assert.True(PrometheusResponse.TryParse(PrometheusFixture.Read("presence-missing.json"), out var samples, out _, out _));
        Assert.Empty(samples);
    }

    [Theory]
    [InlineData("empty.json", "not a Prometheus API answer")]
    [InlineData("truncated-answer.txt", "not a Prometheus API answer")]
    [InlineData("html-login-page.html", "\"<!DOCTYPE html> <html><head><title>Sign in")]
    [InlineData("not-an-object.json", "not a Prometheus API answer")]
    [InlineData("status-missing.json", "status missing")]
    [InlineData("result-matrix.json", "expected an instant vector, got a matrix")]
    [InlineData("result-missing.json", "got no data.result")]
    [InlineData("metric-missing.json", "result 0: expected")]
    [InlineData("value-not-pair.json", "result 0: expected")]
    [InlineData("value-not-number.json", "result 0: expected")]
    [InlineData("label-not-string.json", "not a Prometheus API answer")]
    public void TryParse_Malformed_SaysWhatIsWrongAndDoesNotThrow(string file, string expected)
    {
        Assert.False(PrometheusResponse.TryParse(PrometheusFixture.Read(Path.Combine("malformed", file)), out var samples, out _, out var failure));
        Assert.Empty(samples);
        Assert.Equal(FleetFailureKind.BadAnswer, failure.Kind);
        Assert.Contains(expected, failure.Detail);
        Assert.DoesNotContain('\n', failure.Detail);   // one line on stderr
    }

    [Theory]
    [InlineData("NaN", double.NaN)]
    [InlineData("+Inf", double.PositiveInfinity)]
    [InlineData("-Inf", double.NegativeInfinity)]
    [InlineData("1e+06", 1e6)]
    [InlineData("-0.5", -0.5)]
    public void TryParse_GoFloatText_ParsesSpecialValues(string text, double expected)
    {
        string body = $$"""{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.5,"{{text}}"]}]},"warnings":["w"]}""";
        Assert.True(PrometheusResponse.TryParse(Encoding.UTF8.GetBytes(body), out var samples, out var warnings, out _));
        Assert.Equal(expected, Assert.Single(samples).Value);
        Assert.Equal("w", Assert.Single(warnings));
    }
}
