using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using VaeCf.Numerics;

namespace VaeCf.Model;

/// <summary>
/// The input layer reads a sparse batch: row r has entries [pointers[r], pointers[r+1]) of
/// (columns, values). The dense equivalent would multiply a batch x items matrix that is 99.5%
/// zeros; here the cost is one row of W per non-zero.
/// </summary>
public static class SparseInputLayer
{
    // output: [rows x outputs], weight: [items x outputs], bias: [outputs]
/// <summary>output (rows x outputs) = bias + X . weight for the CSR rows X; weight is items x outputs.</summary>
    public static void Forward(Span<float> output, int rows, int outputs, ReadOnlySpan<int> pointers, ReadOnlySpan<int> columns,
        ReadOnlySpan<float> values, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias)
        => Forward(output, 0, rows, outputs, pointers, columns, values, weight, bias);

    /// <summary>Rows [rowStart, rowEnd) only: rows write disjoint outputs, so threads split them.</summary>
    public static void Forward(Span<float> output, int rowStart, int rowEnd, int outputs, ReadOnlySpan<int> pointers, ReadOnlySpan<int> columns,
        ReadOnlySpan<float> values, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias)
    {
        for (int r = rowStart; r < rowEnd; r++)
        {
            var outRow = output.Slice(r * outputs, outputs);
            bias.CopyTo(outRow);
            for (int e = pointers[r]; e < pointers[r + 1]; e++)
                TensorPrimitives.MultiplyAdd(weight.Slice(columns[e] * outputs, outputs), values[e], outRow, outRow);
        }
    }

    /// <summary>
    /// dWeight[item, c] += value * dOutput[r, c] for c in [columnStart, columnEnd): threads split the
    /// output columns, so two users sharing an item never write the same float and the sum order is fixed.
    /// </summary>
    public static void BackwardWeight(Span<float> dWeight, int outputs, int columnStart, int columnEnd, int rows,
        ReadOnlySpan<int> pointers, ReadOnlySpan<int> columns, ReadOnlySpan<float> values, ReadOnlySpan<float> dOutput)
    {
        int width = columnEnd - columnStart;
        for (int r = 0; r < rows; r++)
        {
            var dOut = dOutput.Slice(r * outputs + columnStart, width);
            for (int e = pointers[r]; e < pointers[r + 1]; e++)
            {
                var dRow = dWeight.Slice(columns[e] * outputs + columnStart, width);
                TensorPrimitives.MultiplyAdd(dOut, values[e], dRow, dRow);
            }
        }
    }
}

/// <summary>The input layer on a batch indexed by item (<see cref="ItemMajorBatch"/>).</summary>
public static class SparseInputLayerByItem
{
    /// <summary>
    /// Output columns [columnStart, columnEnd) of every row: bias, then value * weight[item] added
    /// item by item. Each touched weight row is read once for the whole batch; with ascending rows
    /// (<see cref="ItemMajorBatch.RowsAscend"/>) each output gets the additions of
    /// <see cref="SparseInputLayer.Forward(Span{float}, int, int, int, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>
    /// in the same order. Column ranges are disjoint, so threads split them.
    /// </summary>
    public static void Forward(Span<float> output, int rows, int outputs, int columnStart, int columnEnd, ItemMajorBatch batch,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias)
    {
        int width = columnEnd - columnStart;
        var biasPart = bias.Slice(columnStart, width);
        for (int r = 0; r < rows; r++) biasPart.CopyTo(output.Slice(r * outputs + columnStart, width));
        var items = batch.Items;
        var pointers = batch.Pointers;
        var entryRows = batch.Rows;
        var values = batch.Values;
        for (int s = 0; s < items.Count; s++)
        {
            var weightPart = weight.Slice(items[s] * outputs + columnStart, width);
            for (int e = pointers[s]; e < pointers[s + 1]; e++)
            {
                var outPart = output.Slice(entryRows[e] * outputs + columnStart, width);
                TensorPrimitives.MultiplyAdd(weightPart, values[e], outPart, outPart);
            }
        }
    }

    /// <summary>
    /// dWeight[item] = sum over the item's entries (row order) of value * dOutput[row], for slots
    /// [slotStart, slotEnd) of <paramref name="batch"/>. Each row is cleared and accumulated while in
    /// cache, with the same additions in the same order as <see cref="SparseInputLayer.BackwardWeight"/>,
    /// so the bits are the same; slots own disjoint rows, so threads split them.
    /// </summary>
    public static void BackwardWeight(Span<float> dWeight, int outputs, ItemMajorBatch batch, int slotStart, int slotEnd, ReadOnlySpan<float> dOutput)
    {
        var items = batch.Items;
        var pointers = batch.Pointers;
        var rows = batch.Rows;
        var values = batch.Values;
        for (int s = slotStart; s < slotEnd; s++)
        {
            var dRow = dWeight.Slice(items[s] * outputs, outputs);
            dRow.Clear();
            for (int e = pointers[s]; e < pointers[s + 1]; e++)
                TensorPrimitives.MultiplyAdd(dOutput.Slice(rows[e] * outputs, outputs), values[e], dRow, dRow);
        }
    }
}

/// <summary>Fully connected layer on dense activations; the three products of the output layer live here.</summary>
public static class DenseLayer
{
    // output: [rows x outputs] = input [rows x inputs] . weight [inputs x outputs] + bias
/// <summary>output (rows x outputs) = input (rows x inputs) . weight (inputs x outputs) + bias, overwritten.</summary>
    public static void Forward(GemmEngine gemm, Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, int rows, int inputs, int outputs)
    {
        for (int r = 0; r < rows; r++) bias.CopyTo(output.Slice(r * outputs, outputs));
        gemm.Multiply(Transpose.No, Transpose.No, rows, outputs, inputs, 1f, input, inputs, weight, outputs, 1f, output, outputs);
    }

    /// <summary>dWeight = input^T . dOutput and dBias = column sums of dOutput (both overwritten).</summary>
    public static void BackwardParameters(GemmEngine gemm, Span<float> dWeight, Span<float> dBias, ReadOnlySpan<float> input,
        ReadOnlySpan<float> dOutput, int rows, int inputs, int outputs)
    {
        gemm.Multiply(Transpose.Yes, Transpose.No, inputs, outputs, rows, 1f, input, inputs, dOutput, outputs, 0f, dWeight, outputs);
        ColumnSums(gemm.Threads, dBias, dOutput, rows, outputs);
    }

    /// <summary>Column sums with threads splitting the columns (same bits as one thread).</summary>
    public static unsafe void ColumnSums(int threads, Span<float> sums, ReadOnlySpan<float> matrix, int rows, int columns)
    {
        if (sums.Length < columns || matrix.Length < (long)rows * columns) throw new ArgumentException("Buffers are smaller than rows x columns.");
        fixed (float* ps = sums, pm = matrix)
        {
            // Spans cannot enter a lambda; the addresses can, and stay valid while fixed.
            nint sumsAddress = (nint)ps, matrixAddress = (nint)pm;
            RangeParallel.For(threads, columns, 1024, (start, end) =>
                ColumnSums(new Span<float>((void*)sumsAddress, columns), new ReadOnlySpan<float>((void*)matrixAddress, rows * columns),
                    rows, columns, start, end));
        }
    }

    /// <summary>dInput = dOutput . weight^T (overwritten).</summary>
    public static void BackwardInput(GemmEngine gemm, Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight,
        int rows, int inputs, int outputs)
    {
        gemm.Multiply(Transpose.No, Transpose.Yes, rows, inputs, outputs, 1f, dOutput, outputs, weight, outputs, 0f, dInput, inputs);
    }

/// <summary>sums[c] = sum over rows of matrix[r, c] (rows x columns, row-major), overwritten.</summary>
    public static void ColumnSums(Span<float> sums, ReadOnlySpan<float> matrix, int rows, int columns)
        => ColumnSums(sums, matrix, rows, columns, 0, columns);

    /// <summary>
    /// Sums of columns [columnStart, columnEnd) only, into sums[columnStart..columnEnd). Each column
    /// is summed over rows in order whatever the split, so threads splitting the columns give the
    /// same bits as one thread.
    /// </summary>
    public static void ColumnSums(Span<float> sums, ReadOnlySpan<float> matrix, int rows, int columns, int columnStart, int columnEnd)
    {
        var target = sums[columnStart..columnEnd];
        target.Clear();
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(target, matrix.Slice(r * columns + columnStart, columnEnd - columnStart), target);
    }
}

/// <summary>The hidden layers' tanh, forward in place and backward from the saved output.</summary>
public static class TanhActivation
{
/// <summary>values = tanh(values), in place.</summary>
    public static void Forward(Span<float> values) => TensorPrimitives.Tanh(values, values);

    /// <summary>d(pre) = d(out) * (1 - out^2), in place on <paramref name="gradient"/>; uses the saved output.</summary>
    /// <param name="simd">Vector width; the processor's best when null (every level gives the same bits).</param>
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> output, SimdLevel? simd = null)
    {
        if (output.Length < gradient.Length) throw new ArgumentException("The saved output is shorter than the gradient.");
        Elementwise.MapInPlace(simd ?? SimdCapabilities.Best, gradient, output, default(DerivativeFromOutput));
    }

    /// <summary>(d(out), out) → d(out) * (1 - out^2).</summary>
    private readonly struct DerivativeFromOutput : IBinaryOperator
    {
        public float Invoke(float g, float y) => g * (1f - y * y);
        public Vector256<float> Invoke(Vector256<float> g, Vector256<float> y) => g * (Vector256<float>.One - y * y);
        public Vector512<float> Invoke(Vector512<float> g, Vector512<float> y) => g * (Vector512<float>.One - y * y);
    }
}
