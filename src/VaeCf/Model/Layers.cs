using System.Numerics.Tensors;
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
    public static void Forward(Span<float> output, int rows, int outputs, ReadOnlySpan<int> pointers, ReadOnlySpan<int> columns,
        ReadOnlySpan<float> values, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias)
    {
        for (int r = 0; r < rows; r++)
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

/// <summary>Fully connected layer on dense activations; the three products of the output layer live here.</summary>
public static class DenseLayer
{
    // output: [rows x outputs] = input [rows x inputs] . weight [inputs x outputs] + bias
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
        ColumnSums(dBias, dOutput, rows, outputs);
    }

    /// <summary>dInput = dOutput . weight^T (overwritten).</summary>
    public static void BackwardInput(GemmEngine gemm, Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight,
        int rows, int inputs, int outputs)
    {
        gemm.Multiply(Transpose.No, Transpose.Yes, rows, inputs, outputs, 1f, dOutput, outputs, weight, outputs, 0f, dInput, inputs);
    }

    public static void ColumnSums(Span<float> sums, ReadOnlySpan<float> matrix, int rows, int columns)
    {
        sums.Clear();
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(sums, matrix.Slice(r * columns, columns), sums);
    }
}

public static class TanhActivation
{
    public static void Forward(Span<float> values) => TensorPrimitives.Tanh(values, values);

    /// <summary>d(pre) = d(out) * (1 - out^2), in place on <paramref name="gradient"/>; uses the saved output.</summary>
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> output)
    {
        for (int i = 0; i < gradient.Length; i++) gradient[i] *= 1f - output[i] * output[i];
    }
}
