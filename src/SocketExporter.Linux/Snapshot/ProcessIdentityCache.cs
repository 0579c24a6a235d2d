using SocketExporter.Linux.ProcFs;

namespace SocketExporter.Linux.Snapshot;

/// <summary>
/// Identities keyed by pid and checked against the start time, so a reused pid is never given the old
/// process's name, and status/passwd are not re-read every scrape. Entries not seen in a scrape are dropped.
/// </summary>
public sealed class ProcessIdentityCache
{
    private Dictionary<int, ProcessIdentity> _current = [];
    private Dictionary<int, ProcessIdentity> _next = [];

    public bool TryGet(in ProcStat stat, out ProcessIdentity identity)
    {
        if (_current.TryGetValue(stat.Pid, out ProcessIdentity? cached) && cached.StartTicks == stat.StartTicks
            && cached.Program == stat.Comm)
        {
            identity = cached;
            _next[stat.Pid] = cached;
            return true;
        }
        identity = null!;
        return false;
    }

    public void Add(ProcessIdentity identity) => _next[identity.Pid] = identity;

    /// <summary>Ends a scrape: what was not seen is forgotten, unless the walk was cut short
    /// (<paramref name="keepUnseen"/>): then the processes it did not reach keep theirs.</summary>
    public void Rotate(bool keepUnseen = false)
    {
        if (keepUnseen)
            foreach ((int pid, ProcessIdentity identity) in _current)
                _next.TryAdd(pid, identity);
        (_current, _next) = (_next, _current);
        _next.Clear();
    }
}
