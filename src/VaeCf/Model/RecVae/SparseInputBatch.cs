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
    /// <summary>Rows in the current batch (set by <see cref="Load"/>); at most <see cref="MaxRows"/>.</summary>
    public int Rows { get; private set; }
    /// <summary>CSR row pointers, length <see cref="MaxRows"/> + 1; only the first <see cref="Rows"/> + 1 are meaningful. Owned by the batch and overwritten by each <see cref="Load"/>.</summary>
    public int[] Pointers { get; }
    /// <summary>Item index of each kept entry, <c>Pointers[Rows]</c> of them in use. May be replaced by a larger array on <see cref="Load"/>: do not hold on to it across loads.</summary>
    public int[] Columns { get; private set; } = new int[1024];
    /// <summary>Normalized, dropout-scaled input value of each entry, parallel to <see cref="Columns"/> (same growth rule).</summary>
    public float[] Values { get; private set; } = new float[1024];

    private readonly bool[] _touched;
    private readonly List<int> _touchedItems = new();

    /// <summary>Room for <paramref name="maxRows"/> rows over <paramref name="items"/> items (one flag per item for the touched set); entry arrays start small and grow.</summary>
    public SparseInputBatch(int maxRows, int items)
    {
        Pointers = new int[maxRows + 1];
        _touched = new bool[items];
    }

    /// <summary>The most rows one <see cref="Load"/> accepts.</summary>
    public int MaxRows => Pointers.Length - 1;
    /// <summary>Items seen by <see cref="RememberTouchedItems"/> since the last <see cref="ForgetTouchedItems"/>, each once, in first-seen order (not sorted).</summary>
    public IReadOnlyList<int> TouchedItems => _touchedItems;

    /// <summary>
    /// Rows <paramref name="users"/> of <paramref name="clicks"/>, normalized to unit L2 norm (an
    /// empty row stays empty), each entry dropped with probability <paramref name="dropout"/> and the
    /// survivors scaled by 1 / (1 - dropout): the same input as Mult-VAE's. Entry e of user u is
    /// dropped by u's own draw e (<see cref="TrainingDraws"/>), so the mask does not depend on the
    /// batch the user is in (data-parallel slices see the one-process masks).
    /// </summary>
    public void Load(CsrMatrix clicks, ReadOnlySpan<int> users, float dropout, TrainingDraws? draws)
    {
        if (users.Length > MaxRows) throw new ArgumentException($"Batch of {users.Length} rows exceeds the buffer's {MaxRows}.");
        if (dropout > 0f && draws is null) throw new ArgumentNullException(nameof(draws), "Dropout needs the seeded draws.");
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
            var userDraws = dropout > 0f ? draws!.Value.ForUser(u) : default;
            for (int e = 0; e < cols.Length; e++)
            {
                if (dropout > 0f && userDraws.Uniform(TrainingDraws.InputDropoutStream, e) < dropout) continue;
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

    /// <summary>Empties the touched set, in time proportional to its size.</summary>
    public void ForgetTouchedItems()
    {
        foreach (int item in _touchedItems) _touched[item] = false;
        _touchedItems.Clear();
    }
}
