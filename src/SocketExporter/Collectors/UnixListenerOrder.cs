using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// The order in which a namespace's named unix listeners are written, for when they exceed --metrics.max-unix-series:
/// those whose holder's uid has few unix listeners come first, so a user who makes thousands is the one whose series
/// fold, not the services' sockets that happen to come after them in the kernel's table. Kernel order otherwise.
/// </summary>
internal static class UnixListenerOrder
{
    // Sockets no visible process holds are grouped under one uid that no process has.
    private const uint Unheld = uint.MaxValue;

    public static IEnumerable<UnixSocketEntry> FewestPerUidFirst(ScrapeSnapshot snapshot, NetNsSnapshot ns)
    {
        var listeners = new List<(UnixSocketEntry Socket, uint Uid)>();
        var perUid = new Dictionary<uint, int>();
        foreach (UnixSocketEntry s in ns.UnixSockets)
        {
            if (!s.IsListening || s.Name is null)
                continue;
            uint uid = Unheld;
            foreach (int process in snapshot.Owners.GetOwners(s.Inode))
                uid = Math.Min(uid, snapshot.Processes[process].Identity.Uid);   // root's, if root holds it at all
            listeners.Add((s, uid));
            perUid[uid] = perUid.GetValueOrDefault(uid) + 1;
        }
        if (perUid.Count <= 1)
            return listeners.Select(l => l.Socket);
        return listeners.OrderBy(l => perUid[l.Uid]).Select(l => l.Socket);   // OrderBy is stable: kernel order within a count
    }
}
