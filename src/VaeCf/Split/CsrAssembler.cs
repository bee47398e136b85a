using VaeCf.Data;

namespace VaeCf.Split;

/// <summary>
/// Builds a binary CSR matrix row by row without per-row collections (ML-20M has 10M entries):
/// append a row's columns in any order, then close it; each row is sorted and de-duplicated.
/// </summary>
internal sealed class CsrAssembler(int columns)
{
    private readonly List<int> _pointers = [0];
    private readonly List<int> _indices = [];

    public int Rows => _pointers.Count - 1;

    public void Add(int column)
    {
        if ((uint)column >= (uint)columns) throw new ArgumentOutOfRangeException(nameof(column), $"Column {column} is outside [0, {columns}).");
        _indices.Add(column);
    }

    public void EndRow()
    {
        int start = _pointers[^1];
        int length = _indices.Count - start;
        if (length > 1)
        {
            var row = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_indices).Slice(start, length);
            row.Sort();
            int unique = 1;
            for (int k = 1; k < row.Length; k++)
                if (row[k] != row[unique - 1]) row[unique++] = row[k];
            _indices.RemoveRange(start + unique, length - unique);
        }
        _pointers.Add(_indices.Count);
    }

    public CsrMatrix Build() => new(Rows, columns, _pointers.ToArray(), _indices.ToArray());
}
