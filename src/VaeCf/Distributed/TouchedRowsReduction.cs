namespace VaeCf.Distributed;

/// <summary>
/// Sums a sparse input layer's weight gradient (items x width, nonzero only in the rows of the items
/// a batch clicked) across processes by its touched rows alone: the processes first agree on the
/// union of their touched rows (a sum of per-item flags), then pack those rows, sum them and unpack.
/// Mult-VAE/DAE's and RecVAE's steps share it. Buffers grow once and are reused, so a step
/// allocates nothing.
/// </summary>
internal sealed class TouchedRowsReduction
{
    private float[] _rowFlags = [];
    private int[] _unionRows = [];
    private int _unionCount;
    private float[] _packed = [];

    /// <summary>
    /// Sums rows of gradients[offset, offset + items * width) that any process touched
    /// (<paramref name="touched"/> lists this process's). Returns the bytes this process contributed.
    /// </summary>
    public long Sum(ICommunicator communicator, float[] gradients, int offset, int items, int width, IReadOnlyList<int> touched)
    {
        if (_rowFlags.Length != items) { _rowFlags = new float[items]; _unionRows = new int[items]; }
        Array.Clear(_rowFlags);
        for (int i = 0; i < touched.Count; i++) _rowFlags[touched[i]] = 1f;
        communicator.Sum(_rowFlags);
        _unionCount = 0;
        for (int item = 0; item < items; item++) if (_rowFlags[item] > 0f) _unionRows[_unionCount++] = item;

        int packedLength = _unionCount * width;
        if (_packed.Length < packedLength) _packed = new float[Math.Max(packedLength, Math.Min(items * width, packedLength * 2))];
        var packed = _packed.AsSpan(0, packedLength);
        for (int i = 0; i < _unionCount; i++)
            gradients.AsSpan(offset + _unionRows[i] * width, width).CopyTo(packed.Slice(i * width, width));
        communicator.Sum(packed);
        for (int i = 0; i < _unionCount; i++)
            packed.Slice(i * width, width).CopyTo(gradients.AsSpan(offset + _unionRows[i] * width, width));
        return ((long)items + packedLength) * sizeof(float);
    }

    /// <summary>
    /// Zeroes the rows of the last sum's union. After the optimizer step they hold rows other
    /// processes' users touched, which this process's backward pass would not clear.
    /// </summary>
    public void ClearUnion(float[] gradients, int offset, int width)
    {
        for (int i = 0; i < _unionCount; i++) Array.Clear(gradients, offset + _unionRows[i] * width, width);
    }
}
