using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// The one program label under which a socket's own quantities (a listener's accept queue and backlog) are
/// counted, so that summing them over programs gives the kernel's number once. A socket shared by processes of
/// one program (prefork workers) is that program's; a socket shared by differently named processes (systemd socket
/// activation, inetd, an inherited descriptor) is counted once under their names sorted and joined with ","
/// ("childB,parentA"), never once per program. At most <see cref="MaxNames"/> names, then "…": one label value per
/// socket at most, however many programs hold it.
/// </summary>
internal sealed class SharedHolders
{
    public const int MaxNames = 4;
    public const string More = "…";

    private readonly List<string> _programs = new(MaxNames);

    /// <summary>"" when no visible process holds the socket.</summary>
    public string ProgramLabel(ScrapeSnapshot snapshot, ulong inode)
    {
        _programs.Clear();
        foreach (int process in snapshot.Owners.GetOwners(inode))
        {
            string program = snapshot.Processes[process].Identity.Program;
            if (!_programs.Contains(program))
                _programs.Add(program);
        }
        switch (_programs.Count)
        {
            case 0: return "";
            case 1: return _programs[0];
        }
        _programs.Sort(StringComparer.Ordinal);   // the holders are listed newest first: sort for a stable value
        if (_programs.Count <= MaxNames)
            return string.Join(',', _programs);
        return string.Join(',', _programs.GetRange(0, MaxNames)) + "," + More;
    }
}
