using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Reading;

/// <summary>
/// Identities keyed by pid and checked against the start time, so a reused pid is never given the old process's
/// name, and passwd lookups and cgroup parsing are not redone every scrape. A process can change its uid
/// (setresuid) and its cgroup (a runtime moving it, a service joining a scope) without changing its start time, so
/// an entry is served only while the uid and the raw /proc/PID/cgroup text the caller read this scrape still match
/// what it was built from: the check costs the two small reads, not the parsing. Entries not seen in a scrape are dropped.
/// Safe for the threads of one walk: during a walk only <see cref="TryGet"/> and <see cref="Add"/> run, which read the
/// last scrape's entries (never written then) and write this scrape's under a lock — once per process, not per descriptor.
/// <see cref="Rotate"/> runs after every walker has stopped.
/// </summary>
public sealed class ProcessIdentityCache
{
    private sealed record Entry(ProcessIdentity Identity, byte[] CgroupText);

    private Dictionary<int, Entry> _current = [];
    private Dictionary<int, Entry> _next = [];
    private readonly Lock _gate = new();

    /// <param name="uid">The effective uid read this scrape (uint.MaxValue when unreadable).</param>
    /// <param name="cgroupText">/proc/PID/cgroup as read this scrape (empty when unreadable).</param>
    public bool TryGet(in ProcStat stat, uint uid, ReadOnlySpan<byte> cgroupText, out ProcessIdentity identity)
    {
        if (_current.TryGetValue(stat.Pid, out Entry? cached) && cached.Identity.StartTicks == stat.StartTicks
            && cached.Identity.Program == stat.Comm && cached.Identity.Uid == uid && cgroupText.SequenceEqual(cached.CgroupText))
        {
            identity = cached.Identity;
            lock (_gate)
                _next[stat.Pid] = cached;
            return true;
        }
        identity = null!;
        return false;
    }

    /// <param name="cgroupText">The /proc/PID/cgroup text <paramref name="identity"/>'s cgroup was parsed from (kept, not copied).</param>
    public void Add(ProcessIdentity identity, byte[] cgroupText)
    {
        lock (_gate)
            _next[identity.Pid] = new Entry(identity, cgroupText);
    }

    /// <summary>Ends a scrape: what was not seen is forgotten, except the processes a walk cut short did not reach
    /// (<paramref name="unwalked"/>). Only those: a process the walk reached and found gone is forgotten, or a host
    /// whose scrapes are always cut short would keep every pid it ever saw.</summary>
    public void Rotate(ReadOnlySpan<int> unwalked = default)
    {
        foreach (int pid in unwalked)
            if (_current.TryGetValue(pid, out Entry? entry))
                _next.TryAdd(pid, entry);
        (_current, _next) = (_next, _current);
        _next.Clear();
    }
}
