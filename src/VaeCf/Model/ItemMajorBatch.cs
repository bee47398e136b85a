namespace VaeCf.Model;

/// <summary>
/// A sparse batch re-indexed by item: for each item the batch touched (once each, in ascending item
/// order), the batch rows that clicked it and their values, in row order. The input layer then reads
/// each touched weight row once per batch instead of once per click (forward), and accumulates each
/// gradient row in cache and writes it once (backward). When every row's columns ascend (as
/// <see cref="Data.CsrMatrix"/> keeps them), visiting items in ascending order adds each row's terms
/// in the same order as a row-by-row pass, so both give the same bits.
/// </summary>
public sealed class ItemMajorBatch
{
    private const int Unseen = -1, Seen = -2;
    private readonly int[] _slotOfItem;
    private readonly List<int> _items = new();
    private int[] _pointers = new int[1025];
    private int[] _cursor = new int[1024];
    private int[] _rows = new int[1024];
    private float[] _values = new float[1024];

    /// <param name="itemCount">Columns of the batches to index.</param>
    public ItemMajorBatch(int itemCount)
    {
        _slotOfItem = new int[itemCount];
        Array.Fill(_slotOfItem, Unseen);
    }

    /// <summary>The items of the last indexed batch, each once, ascending.</summary>
    public IReadOnlyList<int> Items => _items;
    /// <summary>Entries of item <c>Items[s]</c> are [Pointers[s], Pointers[s + 1]).</summary>
    public ReadOnlySpan<int> Pointers => _pointers.AsSpan(0, _items.Count + 1);
    /// <summary>Batch row of each entry.</summary>
    public ReadOnlySpan<int> Rows => _rows.AsSpan(0, _pointers[_items.Count]);
    /// <summary>Value of each entry.</summary>
    public ReadOnlySpan<float> Values => _values.AsSpan(0, _pointers[_items.Count]);
    /// <summary>Whether every row of the last batch had strictly ascending columns (the condition for bit-equal row and item orders).</summary>
    public bool RowsAscend { get; private set; } = true;
    /// <summary>Bytes held now (the entry buffers grow with the largest batch).</summary>
    public long Bytes => 4L * (_slotOfItem.Length + _pointers.Length + _cursor.Length + _rows.Length + _values.Length + _items.Capacity);

    /// <summary>Whether the last indexed batch touched <paramref name="item"/>.</summary>
    public bool Contains(int item) => _slotOfItem[item] >= 0;

    /// <summary>Indexes <paramref name="rowCount"/> CSR rows (row r's entries are [pointers[r], pointers[r + 1]) of columns and values).</summary>
    public void Build(int rowCount, ReadOnlySpan<int> pointers, ReadOnlySpan<int> columns, ReadOnlySpan<float> values)
    {
        foreach (int item in _items) _slotOfItem[item] = Unseen;
        _items.Clear();
        int entries = pointers[rowCount];
        if (_rows.Length < entries) { _rows = new int[entries * 2]; _values = new float[entries * 2]; }
        bool ascend = true;
        for (int r = 0; r < rowCount; r++)
        {
            int previous = -1;
            for (int e = pointers[r]; e < pointers[r + 1]; e++)
            {
                int item = columns[e];
                if (item <= previous) ascend = false;
                previous = item;
                if (_slotOfItem[item] == Unseen) { _slotOfItem[item] = Seen; _items.Add(item); }
            }
        }
        RowsAscend = ascend;
        // Ascending items: a sort when few were touched, else one scan of the catalogue.
        if ((long)_items.Count * 16 < _slotOfItem.Length) _items.Sort();
        else
        {
            _items.Clear();
            for (int item = 0; item < _slotOfItem.Length; item++) if (_slotOfItem[item] == Seen) _items.Add(item);
        }
        int unique = _items.Count;
        if (_cursor.Length < unique) { _cursor = new int[Math.Max(unique, 2 * _cursor.Length)]; _pointers = new int[_cursor.Length + 1]; }
        for (int s = 0; s < unique; s++) { _slotOfItem[_items[s]] = s; _cursor[s] = 0; }
        for (int e = 0; e < entries; e++) _cursor[_slotOfItem[columns[e]]]++;
        int running = 0;
        for (int s = 0; s < unique; s++)
        {
            _pointers[s] = running;
            running += _cursor[s];
            _cursor[s] = _pointers[s];
        }
        _pointers[unique] = running;
        // Rows in order, so each item's entries keep row order.
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
