using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

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

    // Inode -> head of its holder list, by open addressing with linear probing: each slot holds the inode and its head
    // side by side, so a lookup costs one cache miss where Dictionary's buckets-then-entries cost two. Collectors look
    // up every socket (100,000 on a busy node) several times per scrape. Inode 0 marks an empty slot: no descriptor
    // links to socket:[0] (the walk records only non-zero inodes), and a lookup of 0 (a TIME_WAIT socket) finds nothing.
    private (ulong Inode, int Head)[] _slots = [];
    private int _count;
    private readonly List<(int Process, int Next)> _links;
    // Each socket list's holders by position (see HoldersOf), computed at most once per scrape; the arrays are kept for
    // the next scrape's lists. Locked: collectors prepared beside each other ask for the same list at the same time.
    private readonly Dictionary<IReadOnlyList<SocketEntry>, int[]> _resolved = new(ReferenceEqualityComparer.Instance);
    private readonly Stack<int[]> _spareHeads = new();

    public SocketOwnerIndex(int capacity = 0)
    {
        _links = new List<(int, int)>(capacity);
        if (capacity > 0)
            _slots = new (ulong, int)[SlotsFor(capacity)];
    }

    /// <summary>Sockets with at least one holder.</summary>
    public int SocketCount => _count;

    /// <summary>Empties the index but keeps its capacity, so the next scrape allocates nothing large.</summary>
    public void Clear()
    {
        Array.Clear(_slots);
        _count = 0;
        _links.Clear();
        lock (_resolved)
        {
            foreach (int[] heads in _resolved.Values)
                _spareHeads.Push(heads);
            _resolved.Clear();
        }
    }

    /// <summary>Records that process <paramref name="processIndex"/> holds <paramref name="inode"/>. A process
    /// holding one socket through several descriptors (dup) is recorded once: processes are walked one at a
    /// time, so its earlier record is the list head.</summary>
    public void Add(ulong inode, int processIndex)
    {
        if (inode == 0)
            return;   // not a socket a descriptor can hold (the empty-slot mark)
        // At most 85 % full: 105,000 sockets fit 131,072 slots (2 MiB) instead of doubling to 4 MiB, for a few more
        // probes per lookup within the same cache lines (four slots to a line).
        if ((long)(_count + 1) * 20 > (long)_slots.Length * 17)
            Grow();
        ref (ulong Inode, int Head) slot = ref _slots[Probe(_slots, inode)];
        if (slot.Inode == inode)
        {
            if (_links[slot.Head].Process == processIndex)
                return;
            _links.Add((processIndex, slot.Head));
        }
        else
        {
            _links.Add((processIndex, End));
            slot.Inode = inode;
            _count++;
        }
        slot.Head = _links.Count - 1;
    }

    /// <summary>Adds a walk's holds in order, their process indexes shifted by <paramref name="processOffset"/> (where a
    /// walker's own process list starts in the snapshot's).</summary>
    public void AddRange(ReadOnlySpan<SocketHold> holds, int processOffset = 0)
    {
        foreach (SocketHold hold in holds)
            Add(hold.Inode, hold.ProcessIndex + processOffset);
    }

    public bool IsHeld(ulong inode) => Head(inode) != End;

    // The slot that holds `inode`, or the empty slot where it would go. The table is never full, so the probe ends.
    private static int Probe((ulong Inode, int Head)[] slots, ulong inode)
    {
        int mask = slots.Length - 1;
        // Fibonacci hashing: socket inodes are close to consecutive, the multiply spreads them over the table.
        int i = Hash(inode) & mask;
        while (slots[i].Inode != inode && slots[i].Inode != 0)
            i = (i + 1) & mask;
        return i;
    }

    // How many lookups ahead HoldersOf asks the CPU to load a slot: enough to cover a miss to memory.
    private const int PrefetchDistance = 16;

    /// <summary>The holders of every socket of <paramref name="sockets"/> (one namespace's list of this scrape), by
    /// position. Every socket is looked up once per scrape, whoever asks, with the slots of the lookups ahead
    /// prefetched: on a busy node the table (2 MiB for 100,000 sockets) is far larger than the cache, so a lookup is a
    /// miss, and three collectors looking up every socket each paid it (a tenth of their time at 50,000 connections).
    /// Only for lists that stay unchanged until the next <see cref="Clear"/>, as a snapshot's do.</summary>
    public SocketHolders HoldersOf(IReadOnlyList<SocketEntry> sockets)
    {
        lock (_resolved)
        {
            if (!_resolved.TryGetValue(sockets, out int[]? heads))
            {
                heads = _spareHeads.Count > 0 && _spareHeads.Peek().Length >= sockets.Count ? _spareHeads.Pop() : new int[sockets.Count];
                Resolve(sockets is List<SocketEntry> list ? CollectionsMarshal.AsSpan(list) : sockets.ToArray(), heads);
                _resolved[sockets] = heads;
            }
            return new SocketHolders(this, heads, sockets.Count);
        }
    }

    private unsafe void Resolve(ReadOnlySpan<SocketEntry> sockets, Span<int> heads)
    {
        if (_count == 0)
        {
            heads[..sockets.Length].Fill(End);
            return;
        }
        (ulong Inode, int Head)[] slots = _slots;
        int mask = slots.Length - 1;
        fixed ((ulong Inode, int Head)* table = slots)
        {
            for (int i = 0; i < sockets.Length; i++)
            {
                if (Sse.IsSupported && i + PrefetchDistance < sockets.Length)
                    Sse.Prefetch0(table + (Hash(sockets[i + PrefetchDistance].Inode) & mask));
                heads[i] = Head(sockets[i].Inode);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(ulong inode) => (int)((inode * 0x9E3779B97F4A7C15UL) >> 40);

    /// <summary>The enumerator of the holder list that starts at <paramref name="head"/> (End: none).</summary>
    internal OwnerEnumerator OwnersAt(int head, bool yieldUnheld) => new(this, head == End && yieldUnheld ? YieldUnheld : head);

    /// <summary>Whether the holder list that starts at <paramref name="head"/> has any holder.</summary>
    internal static bool HasHolder(int head) => head != End;

    private int Head(ulong inode)
    {
        if (inode == 0 || _count == 0)
            return End;
        ref (ulong Inode, int Head) slot = ref _slots[Probe(_slots, inode)];
        return slot.Inode == inode ? slot.Head : End;
    }

    private static int SlotsFor(int sockets) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, sockets * 20 / 17 + 1));

    private void Grow()
    {
        (ulong Inode, int Head)[] old = _slots;
        var slots = new (ulong Inode, int Head)[Math.Max(16, old.Length * 2)];
        foreach ((ulong inode, int head) in old)
            if (inode != 0)
                slots[Probe(slots, inode)] = (inode, head);
        _slots = slots;
    }

    /// <summary>The process indexes holding <paramref name="inode"/>, most recent first; none when no visible process does.</summary>
    public OwnerEnumerator GetOwners(ulong inode) => new(this, Head(inode));

    /// <summary>Each process holding <paramref name="inode"/>, or <see cref="Unheld"/> once when none does: the join every
    /// per-holder count makes, so that a socket no visible process holds (time_wait, a hidden process) is still counted,
    /// with an empty pid and program.</summary>
    public OwnerEnumerator HoldersOrUnheld(ulong inode) => new(this, Head(inode) is int head and not End ? head : YieldUnheld);

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
