namespace SocketExporter.Collectors;

/// <summary>
/// The config file's expected_listeners: a listener is expected when any entry matches it. With no policy
/// configured (<see cref="None"/>) nothing is judged, so socket_listening_unexpected stays absent for everyone.
/// </summary>
public sealed class ListenerPolicy
{
    public static readonly ListenerPolicy None = new([]);

    private readonly IReadOnlyList<ExpectedListener> _entries;

    public ListenerPolicy(IReadOnlyList<ExpectedListener> entries) => _entries = entries;

    public bool IsConfigured => _entries.Count > 0;
    public IReadOnlyList<ExpectedListener> Entries => _entries;

    public bool IsExpected(in ListenerLabels listener)
    {
        foreach (ExpectedListener entry in _entries)
            if (entry.Matches(listener))
                return true;
        return false;
    }
}
