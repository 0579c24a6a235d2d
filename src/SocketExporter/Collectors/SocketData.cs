using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

internal static class SocketData
{
    /// <summary>A collector whose data source failed must fail (success 0), never export an empty set as if it were true.</summary>
    public static void ThrowIfUnavailable(ScrapeSnapshot snapshot)
    {
        if (snapshot.SocketsFailed)
            throw new CollectorDataUnavailableException("no socket table could be read: " +
                string.Join("; ", snapshot.SocketTables.Select(t => t.Error ?? t.NetlinkError)));
    }

    /// <summary>The distinct programs holding a socket ("" when none): a prefork listener is held by many
    /// processes of one program, and its queue must count once per program, not once per process.</summary>
    public static void HolderPrograms(ScrapeSnapshot snapshot, ulong inode, List<string> programs)
    {
        programs.Clear();
        foreach (int process in snapshot.Owners.GetOwners(inode))
        {
            string program = snapshot.Processes[process].Identity.Program;
            if (!programs.Contains(program))
                programs.Add(program);
        }
        if (programs.Count == 0)
            programs.Add("");
    }

    public static string AddressText(Dictionary<(InetAddress, SocketFamily), string> cache, InetAddress address, SocketFamily family)
    {
        if (!cache.TryGetValue((address, family), out string? text))
            cache[(address, family)] = text = address.Format(family);
        return text;
    }
}

/// <summary>The snapshot lacks what a collector needs; the runner reports the collector as failed.</summary>
public sealed class CollectorDataUnavailableException(string message) : Exception(message);
