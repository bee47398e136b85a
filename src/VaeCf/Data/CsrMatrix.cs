namespace VaeCf.Data;

/// <summary>
/// Compressed sparse rows of a binary (or weighted) user x item matrix. Rows are users, columns
/// are item indices of the dataset's item vocabulary. Column indices within a row are sorted and
/// unique. <see cref="Values"/> is null for a binary matrix (every stored entry is 1).
/// </summary>
public sealed class CsrMatrix
{
    /// <summary>Users (rows).</summary>
    public int Rows { get; }
    /// <summary>Items (columns): the size of the item vocabulary.</summary>
    public int Columns { get; }
    /// <summary>Row r's entries are positions RowPointers[r] to RowPointers[r + 1] - 1 of <see cref="ColumnIndices"/>; Rows + 1 entries.</summary>
    public int[] RowPointers { get; }
    /// <summary>The item of every stored entry, row after row, ascending within a row.</summary>
    public int[] ColumnIndices { get; }
    /// <summary>The weight of every stored entry; null when every entry is 1 (clicks).</summary>
    public float[]? Values { get; }

    /// <summary>Wraps the arrays without copying; the shapes are checked, the sort order within rows is the caller's promise.</summary>
    public CsrMatrix(int rows, int columns, int[] rowPointers, int[] columnIndices, float[]? values = null)
    {
        if (rows < 0 || columns < 0) throw new ArgumentOutOfRangeException(nameof(rows), "Matrix dimensions must be non-negative.");
        if (rowPointers.Length != rows + 1) throw new ArgumentException($"rowPointers must have {rows + 1} entries, got {rowPointers.Length}.", nameof(rowPointers));
        if (rowPointers[0] != 0 || rowPointers[rows] != columnIndices.Length) throw new ArgumentException("rowPointers must start at 0 and end at the number of stored entries.", nameof(rowPointers));
        if (values is not null && values.Length != columnIndices.Length) throw new ArgumentException("values must match columnIndices in length.", nameof(values));
        Rows = rows;
        Columns = columns;
        RowPointers = rowPointers;
        ColumnIndices = columnIndices;
        Values = values;
    }

    /// <summary>Stored entries (clicks).</summary>
    public int NonZeros => ColumnIndices.Length;

    /// <summary>Stored entries over rows x columns.</summary>
    public double Density => Rows == 0 || Columns == 0 ? 0 : (double)NonZeros / ((double)Rows * Columns);

    /// <summary>Row <paramref name="row"/>'s items, ascending, without copying.</summary>
    public ReadOnlySpan<int> RowIndices(int row) => ColumnIndices.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);

    /// <summary>Row <paramref name="row"/>'s weights, aligned with <see cref="RowIndices"/>; empty for a binary matrix.</summary>
    public ReadOnlySpan<float> RowValues(int row) =>
        Values is null ? ReadOnlySpan<float>.Empty : Values.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);

    /// <summary>Stored entries in row <paramref name="row"/>.</summary>
    public int RowLength(int row) => RowPointers[row + 1] - RowPointers[row];

    /// <summary>
    /// 1 / the row's L2 norm (implicit values count as 1), summed in double; 0 for an empty or
    /// all-zero row, which the input layers leave empty instead of dividing by zero.
    /// </summary>
    public float InverseL2Norm(int row)
    {
        var values = RowValues(row);
        double squares = 0;
        if (values.IsEmpty) squares = RowLength(row);
        else foreach (float v in values) squares += (double)v * v;
        return squares == 0 ? 0f : (float)(1.0 / Math.Sqrt(squares));
    }

    /// <summary>The weight of stored entry <paramref name="entry"/> (an index into <see cref="ColumnIndices"/>): 1 in a binary matrix.</summary>
    public float ValueAt(int entry) => Values is null ? 1f : Values[entry];

    /// <summary>Builds a binary matrix from per-row column lists; each row is sorted and de-duplicated.</summary>
    public static CsrMatrix FromRows(int columns, IReadOnlyList<IEnumerable<int>> rows)
    {
        var pointers = new int[rows.Count + 1];
        var indices = new List<int>();
        for (int r = 0; r < rows.Count; r++)
        {
            var sorted = new SortedSet<int>(rows[r]);
            foreach (int c in sorted)
            {
                if ((uint)c >= (uint)columns) throw new ArgumentOutOfRangeException(nameof(rows), $"Column {c} in row {r} is outside [0, {columns}).");
                indices.Add(c);
            }
            pointers[r + 1] = indices.Count;
        }
        return new CsrMatrix(rows.Count, columns, pointers, indices.ToArray());
    }

    /// <summary>A new matrix holding the given rows, in the given order.</summary>
    public CsrMatrix SelectRows(ReadOnlySpan<int> rows)
    {
        var pointers = new int[rows.Length + 1];
        long total = 0;
        for (int i = 0; i < rows.Length; i++) { total += RowLength(rows[i]); pointers[i + 1] = checked((int)total); }
        var indices = new int[total];
        float[]? values = Values is null ? null : new float[total];
        for (int i = 0; i < rows.Length; i++)
        {
            int src = RowPointers[rows[i]], len = RowLength(rows[i]);
            Array.Copy(ColumnIndices, src, indices, pointers[i], len);
            if (values is not null) Array.Copy(Values!, src, values, pointers[i], len);
        }
        return new CsrMatrix(rows.Length, Columns, pointers, indices, values);
    }

    /// <summary>Per-column count of stored entries (item popularity when rows are users).</summary>
    public int[] ColumnCounts()
    {
        var counts = new int[Columns];
        foreach (int c in ColumnIndices) counts[c]++;
        return counts;
    }

    /// <summary>
    /// Re-indexes columns through <paramref name="map"/> (old column -> new column, or -1 to drop),
    /// for moving a dataset onto a model's item vocabulary. Rows stay sorted and unique.
    /// </summary>
    public CsrMatrix RemapColumns(ReadOnlySpan<int> map, int newColumns, out long dropped)
    {
        if (map.Length != Columns) throw new ArgumentException($"Map has {map.Length} entries for {Columns} columns.", nameof(map));
        var pointers = new int[Rows + 1];
        var indices = new List<int>(NonZeros);
        var values = Values is null ? null : new List<float>(NonZeros);
        var row = new List<(int Column, float Value)>();
        dropped = 0;
        for (int r = 0; r < Rows; r++)
        {
            row.Clear();
            for (int e = RowPointers[r]; e < RowPointers[r + 1]; e++)
            {
                int c = map[ColumnIndices[e]];
                if (c < 0) { dropped++; continue; }
                if ((uint)c >= (uint)newColumns) throw new ArgumentOutOfRangeException(nameof(map), $"Map sends column {ColumnIndices[e]} to {c}, outside [0, {newColumns}).");
                row.Add((c, ValueAt(e)));
            }
            row.Sort((a, b) => a.Column.CompareTo(b.Column));
            foreach (var (c, v) in row) { indices.Add(c); values?.Add(v); }
            pointers[r + 1] = indices.Count;
        }
        return new CsrMatrix(Rows, newColumns, pointers, indices.ToArray(), values?.ToArray());
    }
}
