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

    /// <summary>Ends a scrape: what was not seen is forgotten, except the processes a walk cut short did not reach
    /// (<paramref name="unwalked"/>). Only those: a process the walk reached and found gone is forgotten, or a host
    /// whose scrapes are always cut short would keep every pid it ever saw.</summary>
    public void Rotate(ReadOnlySpan<int> unwalked = default)
    {
        foreach (int pid in unwalked)
            if (_current.TryGetValue(pid, out ProcessIdentity? identity))
                _next.TryAdd(pid, identity);
        (_current, _next) = (_next, _current);
        _next.Clear();
    }
}
