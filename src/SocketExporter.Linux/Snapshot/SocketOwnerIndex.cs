namespace SocketExporter.Linux.Snapshot;

/// <summary>
/// Socket inode → the processes holding it, filled by the one /proc/[pid]/fd pass. Most sockets have one
/// holder; prefork servers and inherited descriptors give several, kept as a linked list in one array so
/// adding a holder does not allocate per socket.
/// </summary>
public sealed class SocketOwnerIndex
{
    /// <summary>The process index <see cref="HoldersOrUnheld"/> gives for a socket no visible process holds.</summary>
    public const int Unheld = -1;

    // Link values: -1 ends a list; YieldUnheld starts an enumeration that gives Unheld once.
    private const int End = -1, YieldUnheld = -2;

    private readonly Dictionary<ulong, int> _head;
    private readonly List<(int Process, int Next)> _links;

    public SocketOwnerIndex(int capacity = 0)
    {
        _head = new Dictionary<ulong, int>(capacity);
        _links = new List<(int, int)>(capacity);
    }

    public int SocketCount => _head.Count;

    /// <summary>Empties the index but keeps its capacity, so the next scrape allocates nothing large.</summary>
    public void Clear()
    {
        _head.Clear();
        _links.Clear();
    }

    /// <summary>Records that process <paramref name="processIndex"/> holds <paramref name="inode"/>. A process
    /// holding one socket through several descriptors (dup) is recorded once: processes are walked one at a
    /// time, so its earlier record is the list head.</summary>
    public void Add(ulong inode, int processIndex)
    {
        if (_head.TryGetValue(inode, out int head))
        {
            if (_links[head].Process == processIndex)
                return;
            _links.Add((processIndex, head));
        }
        else
        {
            _links.Add((processIndex, End));
        }
        _head[inode] = _links.Count - 1;
    }

    /// <summary>Adds a walk's holds in order, their process indexes shifted by <paramref name="processOffset"/> (where a
    /// walker's own process list starts in the snapshot's).</summary>
    public void AddRange(ReadOnlySpan<SocketHold> holds, int processOffset = 0)
    {
        foreach (SocketHold hold in holds)
            Add(hold.Inode, hold.ProcessIndex + processOffset);
    }

    public bool IsHeld(ulong inode) => _head.ContainsKey(inode);

    /// <summary>The process indexes holding <paramref name="inode"/>, most recent first; none when no visible process does.</summary>
    public OwnerEnumerator GetOwners(ulong inode) => new(this, _head.TryGetValue(inode, out int head) ? head : End);

    /// <summary>Each process holding <paramref name="inode"/>, or <see cref="Unheld"/> once when none does: the join every
    /// per-holder count makes, so that a socket no visible process holds (time_wait, a hidden process) is still counted,
    /// with an empty pid and program.</summary>
    public OwnerEnumerator HoldersOrUnheld(ulong inode) => new(this, _head.TryGetValue(inode, out int head) ? head : YieldUnheld);

    /// <summary>Allocation-free iteration over the process indexes holding one socket (most recent first).</summary>
    public struct OwnerEnumerator
    {
        private readonly SocketOwnerIndex _index;
        private int _next;

        internal OwnerEnumerator(SocketOwnerIndex index, int head)
        {
            _index = index;
            _next = head;
            Current = -1;
        }

        public int Current { get; private set; }

        public readonly OwnerEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_next == YieldUnheld)
            {
                (Current, _next) = (Unheld, End);
                return true;
            }
            if (_next == End) return false;
            (Current, _next) = _index._links[_next];
            return true;
        }
    }
}
