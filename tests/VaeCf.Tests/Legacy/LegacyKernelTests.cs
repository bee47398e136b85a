using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Training;

namespace VaeCf.Tests.Legacy;

/// <summary>The shared SIMD dispatch at the default level against the hand-rolled kernels it replaced: same bits.</summary>
public class LegacyKernelTests
{
    private static float[] Random(Random random, int n, float scale = 1f) =>
        Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();

    [Fact]
    public void EveryKernelGivesTheOldBitsAtTheDefaultLevel()
    {
        var random = new Random(1);
        for (int n = 0; n <= 300; n++)
        {
            // Adam, one step on a weight slot.
            var values = Random(random, n, 2f);
            var gradients = Random(random, n);
            var set = new ParameterSet([new TensorSlot("w", 0, 1, n, IsWeight: true)]);
            values.CopyTo(set.Values, 0);
            var adam = new AdamOptimizer(set, OptimizerKind.Adam, 0.01f, 0.1f, threads: 1);
            double squares = adam.Step(gradients);
            float correction1 = 1f - MathF.Pow(adam.Beta1, 1), correction2Sqrt = MathF.Sqrt(1f - MathF.Pow(adam.Beta2, 1));
            var old = values.ToArray();
            double oldSquares = LegacyKernels.Update(old, new float[n], new float[n], 0, n, gradients,
                new LegacyKernels.Rule(0.01f / correction1, correction2Sqrt, adam.Beta1, adam.Beta2, adam.Epsilon, 2f * 0.1f, 1f), true);
            Assert.Equal(old, set.Values.ToArray());
            Assert.Equal(oldSquares, squares);

            // exp(x - shift) with its sum.
            var row = Random(random, n, 10f);
            var oldRow = row.ToArray();
            Assert.Equal(LegacyKernels.ExpShiftedInPlace(oldRow, 1.5f), Loss.ExpShiftedInPlace(row, 1.5f, SimdCapabilities.Best));
            Assert.Equal(oldRow, row);

            // tanh backward.
            var gradient = Random(random, n, 3f);
            var output = Random(random, n);
            var oldGradient = gradient.ToArray();
            LegacyKernels.TanhBackward(oldGradient, output);
            TanhActivation.Backward(gradient, output);
            Assert.Equal(oldGradient, gradient);

            // top-k with ties, NaN and -inf.
            var scores = Enumerable.Range(0, n).Select(_ => random.Next(10) switch { 0 => float.NaN, 1 => float.NegativeInfinity, int v => v / 3f }).ToArray();
            foreach (int k in new[] { 1, 5, n })
            {
                var expected = new int[Math.Max(1, k)];
                var actual = new int[Math.Max(1, k)];
                Assert.Equal(LegacyTopK.Select(scores, k, expected), TopK.Select(scores, k, actual));
                Assert.Equal(expected, actual);
            }
        }
    }
}
