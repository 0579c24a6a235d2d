namespace SocketExporter.Scraping;

/// <summary>Which collectors a request asked for (?collect[]= / ?exclude[]=), compared by content so that requests
/// asking the same thing share one answer. <see cref="Only"/> is null for all collectors.</summary>
internal readonly struct CollectorSelection : IEquatable<CollectorSelection>
{
    private readonly string _key;

    private CollectorSelection(IReadOnlySet<string>? only, string key) => (Only, _key) = (only, key);

    public IReadOnlySet<string>? Only { get; }

    public static CollectorSelection Of(IReadOnlySet<string>? only) =>
        only is null ? new(null, "*") : new(only, string.Join(',', only.Order(StringComparer.Ordinal)));

    public bool Equals(CollectorSelection other) => _key == other._key;
    public override bool Equals(object? obj) => obj is CollectorSelection other && Equals(other);
    public override int GetHashCode() => _key.GetHashCode();
}
