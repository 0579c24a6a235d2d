using System.Globalization;

namespace SocketExporter.Tests.Infrastructure;

public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string this[string label] => Labels.TryGetValue(label, out string? v) ? v : "";
}

/// <summary>A parsed Prometheus text exposition (the tests' independent reader of what the exporter wrote).</summary>
public sealed class MetricSet(List<Sample> samples)
{
    public IReadOnlyList<Sample> Samples => samples;

    public IEnumerable<Sample> Named(string name) => samples.Where(s => s.Name == name);

    public static MetricSet Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            int brace = line.IndexOf('{');
            int space = brace < 0 ? line.IndexOf(' ') : line.IndexOf(' ', line.LastIndexOf('}'));
            string name = line[..(brace < 0 ? space : brace)];
            var labels = new Dictionary<string, string>();
            if (brace >= 0)
                ParseLabels(line[(brace + 1)..line.LastIndexOf('}')], labels);
            string valueText = line[(space + 1)..].Split(' ')[0];
            double value = valueText switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(valueText, CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(name, labels, value));
        }
        return new MetricSet(samples);
    }

    private static void ParseLabels(string text, Dictionary<string, string> labels)
    {
        int i = 0;
        while (i < text.Length)
        {
            int eq = text.IndexOf('=', i);
            string key = text[i..eq].TrimStart(',', ' ');
            int j = eq + 2;
            var value = new System.Text.StringBuilder();
            while (text[j] != '"')
            {
                if (text[j] == '\\') { j++; value.Append(text[j] == 'n' ? '\n' : text[j]); }
                else value.Append(text[j]);
                j++;
            }
            labels[key] = value.ToString();
            i = j + 1;
        }
    }
}
