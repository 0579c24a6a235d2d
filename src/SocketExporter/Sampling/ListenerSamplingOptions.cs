namespace SocketExporter.Sampling;

/// <param name="Interval">--listen.sample-interval: how often the sampler looks at the listening table; zero turns it off
/// (peaks are then the scrapes' own readings, and listener changes are seen from scrape to scrape only).</param>
/// <param name="Disabled">Why the sampler does not run at all (--socket.source=procfs: no sock_diag), or null.</param>
/// <param name="OtherNamespaces">Whether the sampler may enter other network namespaces (setns): false with
/// --netns.method=procfs (their listeners are then followed from scrape to scrape).</param>
public sealed record ListenerSamplingOptions(TimeSpan Interval, string? Disabled = null, bool OtherNamespaces = true)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);
    public static ListenerSamplingOptions Default { get; } = new(DefaultInterval);
}
