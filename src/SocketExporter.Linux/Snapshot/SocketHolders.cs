namespace SocketExporter.Linux.Snapshot;

/// <summary>
/// The processes holding each socket of one namespace's list, by the socket's position in it: what
/// <see cref="SocketOwnerIndex.GetOwners"/> and <see cref="SocketOwnerIndex.HoldersOrUnheld"/> give for its inode, looked
/// up once per scrape (<see cref="SocketOwnerIndex.HoldersOf"/>). Valid until the index is cleared for the next scrape.
/// </summary>
public readonly struct SocketHolders
{
    private readonly SocketOwnerIndex _index;
    private readonly int[] _heads;

    internal SocketHolders(SocketOwnerIndex index, int[] heads, int count)
    {
        _index = index;
        _heads = heads;
        Count = count;
    }

    /// <summary>The number of sockets in the list.</summary>
    public int Count { get; }

    /// <summary>Whether a visible process holds socket <paramref name="position"/>.</summary>
    public bool IsHeld(int position) => SocketOwnerIndex.HasHolder(_heads[Checked(position)]);

    /// <summary>The process indexes holding socket <paramref name="position"/>, most recent first.</summary>
    public SocketOwnerIndex.OwnerEnumerator Owners(int position) => _index.OwnersAt(_heads[Checked(position)], yieldUnheld: false);

    /// <summary>As <see cref="SocketOwnerIndex.HoldersOrUnheld"/>: each holder, or <see cref="SocketOwnerIndex.Unheld"/> once.</summary>
    public SocketOwnerIndex.OwnerEnumerator HoldersOrUnheld(int position) => _index.OwnersAt(_heads[Checked(position)], yieldUnheld: true);

    // The heads array can be longer than the list (reused from a larger one): positions past it are not sockets.
    private int Checked(int position) => (uint)position < (uint)Count ? position : throw new ArgumentOutOfRangeException(nameof(position));
}
