using VaeCf.Model;
using VaeCf.Numerics;

namespace VaeCf.Tests;

/// <summary>Each layer's backward pass on its own, against central differences of a random linear probe of its output.</summary>
public class LayerGradientTests
{
    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    [Fact]
    public void DenseLayerGradients()
    {
        const int rows = 3, inputs = 5, outputs = 4;
        var gemm = new GemmEngine(1);
        var x = Random(rows * inputs, 1); var w = Random(inputs * outputs, 2); var b = Random(outputs, 3);
        var probe = Random(rows * outputs, 4); // loss = <probe, layer(x)>, so dOutput = probe
        double LossOf(float[] xx, float[] ww, float[] bb)
        {
            var y = new float[rows * outputs];
            DenseLayer.Forward(gemm, y, xx, ww, bb, rows, inputs, outputs);
            return Dot(y, probe);
        }
        var dw = new float[w.Length]; var db = new float[b.Length]; var dx = new float[x.Length];
        DenseLayer.BackwardParameters(gemm, dw, db, x, probe, rows, inputs, outputs);
        DenseLayer.BackwardInput(gemm, dx, probe, w, rows, inputs, outputs);
        CheckAll(w, dw, () => LossOf(x, w, b));
        CheckAll(b, db, () => LossOf(x, w, b));
        CheckAll(x, dx, () => LossOf(x, w, b));
    }

    [Fact]
    public void SparseInputLayerMatchesDenseAndItsGradient()
    {
        const int items = 7, outputs = 3;
        int[] pointers = [0, 2, 2, 5];
        int[] columns = [1, 4, 0, 2, 6];
        float[] values = [0.5f, 2f, 1f, -1f, 0.25f];
        var w = Random(items * outputs, 5); var b = Random(outputs, 6);
        var y = new float[3 * outputs];
        SparseInputLayer.Forward(y, 3, outputs, pointers, columns, values, w, b);
        // Dense reference: X (3 x items) times W.
        var dense = new float[3 * items];
        for (int r = 0; r < 3; r++) for (int e = pointers[r]; e < pointers[r + 1]; e++) dense[r * items + columns[e]] = values[e];
        var expected = new float[3 * outputs];
        for (int r = 0; r < 3; r++) b.CopyTo(expected, r * outputs);
        ReferenceGemm.Multiply(Transpose.No, Transpose.No, 3, outputs, items, 1f, dense, items, w, outputs, 1f, expected, outputs);
        for (int i = 0; i < y.Length; i++) Assert.Equal(expected[i], y[i], 5);

        var probe = Random(3 * outputs, 7);
        var dw = new float[w.Length];
        // Two column chunks, as the threaded path splits them.
        SparseInputLayer.BackwardWeight(dw, outputs, 0, 1, 3, pointers, columns, values, probe);
        SparseInputLayer.BackwardWeight(dw, outputs, 1, outputs, 3, pointers, columns, values, probe);
        CheckAll(w, dw, () =>
        {
            var yy = new float[3 * outputs];
            SparseInputLayer.Forward(yy, 3, outputs, pointers, columns, values, w, b);
            return Dot(yy, probe);
        });
    }

    [Fact]
    public void TanhGradient()
    {
        var x = Random(9, 8, 2f);
        var probe = Random(9, 9);
        var y = (float[])x.Clone();
        TanhActivation.Forward(y);
        var grad = (float[])probe.Clone();
        TanhActivation.Backward(grad, y);
        CheckAll(x, grad, () => { var t = (float[])x.Clone(); TanhActivation.Forward(t); return Dot(t, probe); });
    }

    private static void CheckAll(float[] parameters, float[] analytic, Func<double> loss)
    {
        const float h = 1e-2f;
        for (int i = 0; i < parameters.Length; i++)
        {
            float saved = parameters[i];
            parameters[i] = saved + h; double plus = loss();
            parameters[i] = saved - h; double minus = loss();
            parameters[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) < 2e-3 + 1e-2 * Math.Abs(numeric), $"index {i}: analytic {analytic[i]}, numeric {numeric}");
        }
    }
}
