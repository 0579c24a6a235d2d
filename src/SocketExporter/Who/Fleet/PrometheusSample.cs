namespace SocketExporter.Who.Fleet;

/// <summary>One element of an instant vector: its labels (with `__name__` when the query kept it) and its value.</summary>
public sealed record PrometheusSample(IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out string? value) ? value : "";
}
