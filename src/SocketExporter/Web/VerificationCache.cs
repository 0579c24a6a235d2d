namespace SocketExporter.Web;

/// <summary>
/// Bounded least-recently-used cache of bcrypt outcomes. A verification costs ~60 ms at cost 10 and ~250 ms at
/// cost 12, and Prometheus sends the same credentials every scrape, so outcomes are kept; failures too, so
/// repeating a wrong password costs no more than repeating a right one. The bound keeps a client that sends
/// ever-new passwords from growing memory.
/// </summary>
internal sealed class VerificationCache(int capacity)
{
    private readonly Dictionary<VerificationKey, LinkedListNode<(VerificationKey Key, bool Valid)>> _entries = new(capacity);
    private readonly LinkedList<(VerificationKey Key, bool Valid)> _recency = new();   // most recent first
    private readonly object _lock = new();

    public int Count { get { lock (_lock) return _entries.Count; } }

    public bool TryGet(VerificationKey key, out bool valid)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var node))
            {
                valid = false;
                return false;
            }
            _recency.Remove(node);
            _recency.AddFirst(node);
            valid = node.Value.Valid;
            return true;
        }
    }

    public void Set(VerificationKey key, bool valid)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var existing))
                _recency.Remove(existing);
            else if (_entries.Count >= capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Key);
            }
            _entries[key] = _recency.AddFirst((key, valid));
        }
    }
}
