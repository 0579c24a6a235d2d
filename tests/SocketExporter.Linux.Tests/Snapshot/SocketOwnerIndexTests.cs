using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.Snapshot;

[Trait("Category", "Unit")]
public sealed class SocketOwnerIndexTests
{
    [Fact]
    public void Add_SeveralHolders_AllAreListedMostRecentFirst()
    {
        var index = new SocketOwnerIndex();
        index.Add(5001, 0);
        index.Add(5002, 0);
        index.Add(5001, 1);
        index.Add(5001, 4);

        Assert.Equal(2, index.SocketCount);
        Assert.Equal([4, 1, 0], Owners(index, 5001));
        Assert.Equal([0], Owners(index, 5002));
    }

    [Fact]
    public void Add_SameProcessDupedDescriptors_RecordedOnce()
    {
        var index = new SocketOwnerIndex();
        index.Add(5001, 3);   // fd 3
        index.Add(5002, 3);   // another socket in between
        index.Add(5001, 3);   // fd 7 = dup(3)
        index.Add(5001, 3);   // fd 9 = dup(3)

        Assert.Equal([3], Owners(index, 5001));
        Assert.Equal(2, index.SocketCount);
    }

    [Fact]
    public void Add_DupInLaterProcessAfterEarlierHolder_RecordedOncePerProcess()
    {
        var index = new SocketOwnerIndex();
        index.Add(616857, 0);
        index.Add(616857, 1);
        index.Add(616857, 1);
        index.Add(616857, 2);
        index.Add(616857, 2);

        Assert.Equal([2, 1, 0], Owners(index, 616857));
    }

    [Fact]
    public void GetOwners_UnknownInode_HasNoOwners()
    {
        var index = new SocketOwnerIndex(capacity: 4);
        index.Add(5001, 0);

        Assert.Empty(Owners(index, 9999));
        Assert.False(index.IsHeld(9999));
        Assert.True(index.IsHeld(5001));
        Assert.False(index.IsHeld(0));
    }

    [Fact]
    public void GetOwners_EmptyIndex_HasNoOwners()
    {
        var index = new SocketOwnerIndex();

        Assert.Equal(0, index.SocketCount);
        Assert.Empty(Owners(index, 5001));
    }

    [Fact]
    public void Add_InodesAbove32Bits_AreDistinct()
    {
        var index = new SocketOwnerIndex();
        index.Add(1, 0);
        index.Add((1ul << 32) | 1, 1);

        Assert.Equal(2, index.SocketCount);
        Assert.Equal([0], Owners(index, 1));
        Assert.Equal([1], Owners(index, (1ul << 32) | 1));
    }

    [Fact]
    public void Add_ManySocketsAndHolders_EveryListIsComplete()
    {
        var index = new SocketOwnerIndex();
        for (int process = 0; process < 50; process++)
            for (ulong inode = 1; inode <= 200; inode++)
                if (inode % (ulong)(process + 1) == 0)
                    index.Add(inode, process);

        Assert.Equal(200, index.SocketCount);
        Assert.Equal(Enumerable.Range(0, 50).Where(p => 120 % (p + 1) == 0).Reverse(), Owners(index, 120));
        Assert.Equal([0], Owners(index, 199));   // prime: held by process 0 only
    }

    [Fact]
    public void HoldersOrUnheld_HeldSocket_EachHolderOnly_UnheldSocket_UnheldOnce()
    {
        var index = new SocketOwnerIndex();
        index.Add(5001, 0);
        index.Add(5001, 3);
        index.Add(5002, 0);

        Assert.Equal([3, 0], Holders(index, 5001));
        Assert.Equal([0], Holders(index, 5002));
        Assert.Equal([SocketOwnerIndex.Unheld], Holders(index, 9999));
        Assert.Equal([SocketOwnerIndex.Unheld], Holders(index, 0));   // time_wait and not yet accepted sockets have inode 0
        Assert.Equal(-1, SocketOwnerIndex.Unheld);   // Labels.Pid and Labels.Program write "" for a negative index
    }

    private static List<int> Holders(SocketOwnerIndex index, ulong inode)
    {
        var holders = new List<int>();
        foreach (int process in index.HoldersOrUnheld(inode))
            holders.Add(process);
        return holders;
    }

    private static List<int> Owners(SocketOwnerIndex index, ulong inode)
    {
        var owners = new List<int>();
        foreach (int process in index.GetOwners(inode))
            owners.Add(process);
        return owners;
    }

    [Fact]
    public void Add_TableGrowsAndIsCleared_EveryInodeKeepsItsHolders_NoneAfterClear()
    {
        var index = new SocketOwnerIndex();
        var rng = new Random(14);
        // Consecutive inodes (as the kernel hands them out), scattered ones and ones above 32 bits, through several
        // growths of the table; each held by one to three processes.
        ulong[] inodes = [.. Enumerable.Range(1, 5_000).Select(i => (ulong)i),
            .. Enumerable.Range(0, 5_000).Select(_ => (ulong)rng.NextInt64(1, long.MaxValue))];
        inodes = [.. inodes.Distinct()];
        for (int round = 0; round < 2; round++)
        {
            foreach (ulong inode in inodes)
                for (int p = 0; p < (int)(inode % 3) + 1; p++)
                    index.Add(inode, p);
            Assert.Equal(inodes.Length, index.SocketCount);
            foreach (ulong inode in inodes)
            {
                var owners = new List<int>();
                foreach (int p in index.GetOwners(inode)) owners.Add(p);
                Assert.Equal(Enumerable.Range(0, (int)(inode % 3) + 1).Reverse(), owners);
            }
            index.Clear();
            Assert.Equal(0, index.SocketCount);
            Assert.All(inodes.Take(100), inode => Assert.False(index.IsHeld(inode)));
        }
    }

    [Fact]
    public void InodeZero_IsNeverHeld_AndLookingItUpFindsNoOwner()
    {
        var index = new SocketOwnerIndex();
        index.Add(7, 1);
        index.Add(0, 2);

        Assert.Equal(1, index.SocketCount);
        Assert.False(index.IsHeld(0));
        var unheld = new List<int>();
        foreach (int p in index.HoldersOrUnheld(0)) unheld.Add(p);
        Assert.Equal([SocketOwnerIndex.Unheld], unheld);
    }

    private static SocketEntry Socket(ulong inode) => new(SocketProtocol.Tcp, SocketFamily.Ipv4, SocketState.Established,
        default, 8080, default, 40000, 0, 0, 0, inode);

    private static List<int> Each(SocketOwnerIndex.OwnerEnumerator owners)
    {
        var list = new List<int>();
        foreach (int p in owners) list.Add(p);
        return list;
    }

    [Fact]
    public void HoldersOf_EveryPosition_GivesWhatItsInodeGives()
    {
        // More sockets than the prefetch distance, scattered over a grown table, with shared, unheld and inode-0 sockets.
        var index = new SocketOwnerIndex();
        var sockets = new List<SocketEntry>();
        var random = new Random(14);
        for (int i = 0; i < 3000; i++)
        {
            ulong inode = i % 97 == 0 ? 0 : (ulong)random.NextInt64(1, 1L << 33);
            sockets.Add(Socket(inode));
            if (i % 5 != 0)
                index.Add(inode, i % 40);
            if (i % 11 == 0)
                index.Add(inode, 41);
        }

        SocketHolders holders = index.HoldersOf(sockets);

        Assert.Equal(sockets.Count, holders.Count);
        for (int i = 0; i < sockets.Count; i++)
        {
            ulong inode = sockets[i].Inode;
            Assert.Equal(index.IsHeld(inode), holders.IsHeld(i));
            Assert.Equal(Owners(index, inode), Each(holders.Owners(i)));
            Assert.Equal(Each(index.HoldersOrUnheld(inode)), Each(holders.HoldersOrUnheld(i)));
        }
        Assert.Contains(sockets.Select((_, i) => holders.IsHeld(i)), held => !held);
        Assert.Contains(Enumerable.Range(0, sockets.Count), i => Each(holders.Owners(i)).Count == 2);
    }

    [Fact]
    public void HoldersOf_AfterClear_TheNextScrapesListIsResolvedAnew()
    {
        // The socket list objects are reused from scrape to scrape: what was resolved must not outlive Clear.
        var index = new SocketOwnerIndex();
        var sockets = new List<SocketEntry> { Socket(10), Socket(11), Socket(12) };
        index.Add(10, 0);
        index.Add(12, 1);
        Assert.Equal([true, false, true], Enumerable.Range(0, 3).Select(index.HoldersOf(sockets).IsHeld));

        index.Clear();
        sockets.Clear();
        sockets.AddRange([Socket(13), Socket(11)]);
        index.Add(11, 2);
        SocketHolders again = index.HoldersOf(sockets);

        Assert.Equal(2, again.Count);
        Assert.Equal([SocketOwnerIndex.Unheld], Each(again.HoldersOrUnheld(0)));
        Assert.Equal([2], Each(again.Owners(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => again.IsHeld(2));
    }

    [Fact]
    public void HoldersOf_ConcurrentAskers_AllGetTheFullAnswer()
    {
        var index = new SocketOwnerIndex();
        var sockets = Enumerable.Range(1, 500).Select(i => Socket((ulong)i)).ToList();
        foreach (SocketEntry s in sockets)
            index.Add(s.Inode, (int)s.Inode % 7);

        // Collectors prepared beside each other ask at the same moment: one resolves, the others wait for it.
        SocketHolders[] seen = new SocketHolders[8];
        Parallel.For(0, seen.Length, i => seen[i] = index.HoldersOf(sockets));

        foreach (SocketHolders h in seen)
            for (int i = 0; i < sockets.Count; i++)
                Assert.Equal([(i + 1) % 7], Each(h.Owners(i)));
    }
}
