using VaeCf.Data;

namespace VaeCf.Model.RecVae;

/// <summary>
/// One batch of user histories as the sparse input layer reads it: row r has entries
/// [Pointers[r], Pointers[r+1]) of (Columns, Values), each row L2-normalized, then inverted dropout.
/// Sized once for a maximum batch; the entry arrays grow (doubling) only when a batch holds more
/// clicks than any before. Also remembers which items (rows of the input weight) the batch touched,
/// so their gradient rows alone can be cleared.
/// </summary>
public sealed class SparseInputBatch
{
    public int Rows { get; private set; }
    public int[] Pointers { get; }
    public int[] Columns { get; private set; } = new int[1024];
    public float[] Values { get; private set; } = new float[1024];

    private readonly bool[] _touched;
    private readonly List<int> _touchedItems = new();

    public SparseInputBatch(int maxRows, int items)
    {
        Pointers = new int[maxRows + 1];
        _touched = new bool[items];
    }

    public int MaxRows => Pointers.Length - 1;
    public IReadOnlyList<int> TouchedItems => _touchedItems;

    /// <summary>
    /// Rows <paramref name="users"/> of <paramref name="clicks"/>, normalized to unit L2 norm (an
    /// empty row stays empty), each entry dropped with probability <paramref name="dropout"/> and the
    /// survivors scaled by 1 / (1 - dropout): the same input as Mult-VAE's.
    /// </summary>
    public void Load(CsrMatrix clicks, ReadOnlySpan<int> users, float dropout, Random? rng)
    {
        if (users.Length > MaxRows) throw new ArgumentException($"Batch of {users.Length} rows exceeds the buffer's {MaxRows}.");
        if (dropout > 0f && rng is null) throw new ArgumentNullException(nameof(rng), "Dropout needs a seeded random source.");
        int total = 0;
        foreach (int u in users) total += clicks.RowLength(u);
        if (Columns.Length < total) { Columns = new int[total * 2]; Values = new float[total * 2]; }
        float keepScale = dropout > 0f ? 1f / (1f - dropout) : 1f;
        int n = 0;
        for (int r = 0; r < users.Length; r++)
        {
            int u = users[r];
            Pointers[r] = n;
            var cols = clicks.RowIndices(u);
            var vals = clicks.RowValues(u);
            float inverseNorm = clicks.InverseL2Norm(u);
            if (inverseNorm == 0f) continue;
            for (int e = 0; e < cols.Length; e++)
            {
                if (dropout > 0f && rng!.NextSingle() < dropout) continue;
                Columns[n] = cols[e];
                Values[n] = (vals.IsEmpty ? 1f : vals[e]) * inverseNorm * keepScale;
                n++;
            }
        }
        Pointers[users.Length] = n;
        Rows = users.Length;
    }

    /// <summary>Adds this batch's items to the touched set.</summary>
    public void RememberTouchedItems()
    {
        for (int e = 0; e < Pointers[Rows]; e++)
        {
            int item = Columns[e];
            if (!_touched[item]) { _touched[item] = true; _touchedItems.Add(item); }
        }
    }

    public void ForgetTouchedItems()
    {
        foreach (int item in _touchedItems) _touched[item] = false;
        _touchedItems.Clear();
    }
}
