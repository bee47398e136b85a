namespace VaeCf.Model;

/// <summary>
/// A sparse batch re-indexed by item: for each item the batch touched (once each, in order of first
/// click), the batch rows that clicked it and their values, in row order. The input layer's weight
/// gradient row of an item is a sum over exactly those rows, so with this index each touched row is
/// accumulated in cache and written once, instead of being read and written once per click.
/// Also remembers the previous batch's items, whose gradient rows must be cleared if not touched again.
/// </summary>
public sealed class ItemMajorBatch
{
    private readonly int[] _slotOfItem;
    private List<int> _items = new();
    private List<int> _previousItems = new();
    private int[] _pointers = new int[1025];
    private int[] _cursor = new int[1024];
    private int[] _rows = new int[1024];
    private float[] _values = new float[1024];

    /// <param name="itemCount">Columns of the batches to index.</param>
    public ItemMajorBatch(int itemCount)
    {
        _slotOfItem = new int[itemCount];
        Array.Fill(_slotOfItem, -1);
    }

    /// <summary>The items of the last indexed batch, each once, in order of first click.</summary>
    public IReadOnlyList<int> Items => _items;
    /// <summary>The items of the batch indexed before the last one.</summary>
    public IReadOnlyList<int> PreviousItems => _previousItems;
    /// <summary>Entries of item <c>Items[s]</c> are [Pointers[s], Pointers[s + 1]).</summary>
    public ReadOnlySpan<int> Pointers => _pointers.AsSpan(0, _items.Count + 1);
    /// <summary>Batch row of each entry.</summary>
    public ReadOnlySpan<int> Rows => _rows.AsSpan(0, _pointers[_items.Count]);
    /// <summary>Value of each entry.</summary>
    public ReadOnlySpan<float> Values => _values.AsSpan(0, _pointers[_items.Count]);
    /// <summary>Bytes held now (the entry buffers grow with the largest batch).</summary>
    public long Bytes => 4L * (_slotOfItem.Length + _pointers.Length + _cursor.Length + _rows.Length + _values.Length
        + _items.Capacity + _previousItems.Capacity);

    /// <summary>Whether the last indexed batch touched <paramref name="item"/>.</summary>
    public bool Contains(int item) => _slotOfItem[item] >= 0;

    /// <summary>
    /// Indexes <paramref name="rowCount"/> CSR rows (row r's entries are
    /// [pointers[r], pointers[r + 1]) of columns and values); the last batch becomes the previous one.
    /// </summary>
    public void Build(int rowCount, ReadOnlySpan<int> pointers, ReadOnlySpan<int> columns, ReadOnlySpan<float> values)
    {
        (_previousItems, _items) = (_items, _previousItems);
        foreach (int item in _previousItems) _slotOfItem[item] = -1;
        _items.Clear();
        int entries = pointers[rowCount];
        if (_rows.Length < entries) { _rows = new int[entries * 2]; _values = new float[entries * 2]; }
        for (int e = 0; e < entries; e++)
        {
            int item = columns[e];
            int slot = _slotOfItem[item];
            if (slot < 0)
            {
                slot = _items.Count;
                _slotOfItem[item] = slot;
                _items.Add(item);
                if (_cursor.Length <= slot) { Array.Resize(ref _cursor, Math.Min(_slotOfItem.Length, 2 * _cursor.Length) + 1); }
                _cursor[slot] = 0;
            }
            _cursor[slot]++;
        }
        int unique = _items.Count;
        if (_pointers.Length < unique + 1) _pointers = new int[_cursor.Length + 1];
        int running = 0;
        for (int s = 0; s < unique; s++)
        {
            _pointers[s] = running;
            running += _cursor[s];
            _cursor[s] = _pointers[s];
        }
        _pointers[unique] = running;
        // Rows in order, so each item's entries keep the row order the row-major sum used.
        for (int r = 0; r < rowCount; r++)
            for (int e = pointers[r]; e < pointers[r + 1]; e++)
            {
                int at = _cursor[_slotOfItem[columns[e]]]++;
                _rows[at] = r;
                _values[at] = values[e];
            }
    }

    /// <summary>The first slot of part <paramref name="part"/> of <paramref name="parts"/> with about equal entries each.</summary>
    public int PartStart(int part, int parts)
    {
        int unique = _items.Count;
        if (part >= parts) return unique;
        long target = (long)_pointers[unique] * part / parts;
        // First slot whose entries start at or after the target: parts are contiguous and cover every slot.
        int lo = 0, hi = unique;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_pointers[mid] < target) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
