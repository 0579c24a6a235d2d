using System.Text;
using CsCheck;
using Prometheus;
using SocketExporter.Collectors;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Collectors;

/// <summary>
/// Property tests (CsCheck): label values the exporter takes from processes (a comm, a unix socket path, a cgroup
/// can be any text: quotes, backslashes, newlines, braces, any Unicode) survive the exposition. Written through
/// MetricWriter into a fresh registry, serialised by prometheus-net (text and OpenMetrics), read back by MetricSet
/// (the reader every other test relies on), each series comes back with the same labels and value.
/// </summary>
public sealed class ExpositionRoundTripTests
{
    private static readonly string[] LabelNames = ["program", "path", "user"];

    // Mostly the characters the formats escape or delimit with, then any scalar value (no lone surrogates: the
    // exporter decodes bytes to strings, which replaces invalid UTF-8 with U+FFFD).
    private static readonly Gen<string> LabelValue = Gen.OneOf(
            Gen.OneOf('"', '\\', '\n', '\r', '\t', '{', '}', ',', '=', ' ', '#', 'a', 'Z', '0').Select(c => c.ToString()),
            Gen.Int[1, 0x10FFFF].Where(c => c is < 0xD800 or > 0xDFFF).Select(char.ConvertFromUtf32))
        .List[0, 12].Select(string.Concat);

    private static readonly Gen<List<(string[] Labels, int Value)>> Series =
        Gen.Select(LabelValue.Array[LabelNames.Length], Gen.Int[0, 1_000_000]).List[1, 10]
            .Select(list => list.DistinctBy(s => string.Join('\0', s.Item1)).ToList());

    [Fact]
    public void TextExposition_AnyLabelValues_ReadBackUnchanged()
    {
        Series.Sample(series =>
        {
            MetricSet m = SnapshotBuilding.Run(writer =>
            {
                BudgetedGauge gauge = writer.Gauge("socket_property", "h", LabelNames);
                foreach ((string[] labels, int value) in series)
                    gauge.Add(value, labels);
            });
            AssertSameSeries(series, m);
        });
    }

    [Fact]
    public void OpenMetricsExposition_AnyLabelValues_ReadBackUnchanged()
    {
        Series.Sample(series =>
        {
            CollectorRegistry registry = Metrics.NewCustomRegistry();
            var writer = new MetricWriter(Metrics.WithCustomRegistry(registry), new SeriesBudget(10_000), new HashSet<string>());
            BudgetedGauge gauge = writer.Gauge("socket_property", "h", LabelNames);
            foreach ((string[] labels, int value) in series)
                gauge.Add(value, labels);
            using var body = new MemoryStream();
            registry.CollectAndExportAsTextAsync(body, ExpositionFormat.OpenMetricsText).GetAwaiter().GetResult();
            string text = Encoding.UTF8.GetString(body.ToArray());
            Assert.EndsWith("# EOF\n", text);
            AssertSameSeries(series, MetricSet.Parse(text));
        });
    }

    private static void AssertSameSeries(List<(string[] Labels, int Value)> written, MetricSet read)
    {
        List<Sample> samples = read.Named("socket_property").ToList();
        Assert.Equal(written.Count, samples.Count);
        var expected = written.Select(s => (string.Join('\0', s.Labels), (double)s.Value)).Order().ToList();
        var actual = samples.Select(s => (string.Join('\0', LabelNames.Select(n => s[n])), s.Value)).Order().ToList();
        Assert.Equal(expected, actual);
    }
}
