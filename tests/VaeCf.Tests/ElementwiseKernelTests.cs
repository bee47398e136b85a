using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Training;

namespace VaeCf.Tests;

/// <summary>
/// Each element-wise kernel at every SIMD level this machine supports, against its scalar path,
/// for every length from 0 to 260 (so every tail length of every width, and no whole vector at
/// all). Arithmetic kernels must match the scalar path to the bit; the exponentials within a few
/// ulp (vector Exp rounds differently); sums within their accumulation order; top-k exactly.
/// CI runs this class again with DOTNET_EnableAVX512=0, where the default level is 256-bit.
/// </summary>
public class ElementwiseKernelTests
{
    private const int MaxLength = 260;

    public static TheoryData<SimdLevel> VectorLevels()
    {
        var data = new TheoryData<SimdLevel>();
        foreach (var level in new[] { SimdLevel.Vector256, SimdLevel.Vector512 })
            if (SimdCapabilities.IsSupported(level)) data.Add(level);
        if (data.Count == 0) data.Add(SimdLevel.Scalar); // still runs the skeleton's scalar path against itself
        return data;
    }

    private static float[] Random(Random random, int n, float scale = 1f) =>
        Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();

    [Theory]
    [MemberData(nameof(VectorLevels))]
    public void AdamStepsMatchTheScalarPathToTheBit(SimdLevel level)
    {
        var random = new Random(3);
        for (int n = 0; n <= MaxLength; n++)
        {
            var values = Random(random, n, 2f);
            var gradients = Random(random, n);
            foreach (var kind in new[] { OptimizerKind.Adam, OptimizerKind.AdamW })
            {
                var (scalar, scalarSquares) = ThreeSteps(values, gradients, kind, SimdLevel.Scalar);
                var (vector, vectorSquares) = ThreeSteps(values, gradients, kind, level);
                Assert.Equal(scalar, vector);
                Assert.Equal(scalarSquares, vectorSquares, 1e-5 * (1 + scalarSquares));
            }
        }

        static (float[] Values, double Squares) ThreeSteps(float[] start, float[] gradients, OptimizerKind kind, SimdLevel level)
        {
            var set = new ParameterSet([new TensorSlot("w", 0, 1, start.Length, IsWeight: true)]);
            start.CopyTo(set.Values, 0);
            var adam = new AdamOptimizer(set, kind, learningRate: 0.01f, weightDecay: 0.1f, threads: 1, simd: level);
            double squares = 0;
            for (int step = 0; step < 3; step++) squares += adam.Step(gradients);
            return (set.Values.ToArray(), squares);
        }
    }

    [Theory]
    [MemberData(nameof(VectorLevels))]
    public void TanhBackwardMatchesTheScalarPathToTheBit(SimdLevel level)
    {
        var random = new Random(5);
        for (int n = 0; n <= MaxLength; n++)
        {
            var gradient = Random(random, n, 3f);
            var output = Random(random, n + 3); // longer than the gradient: only the first n are read
            var scalar = gradient.ToArray();
            var vector = gradient.ToArray();
            TanhActivation.Backward(scalar, output, SimdLevel.Scalar);
            TanhActivation.Backward(vector, output, level);
            Assert.Equal(scalar, vector);
            for (int i = 0; i < n; i++) Assert.Equal(gradient[i] * (1f - output[i] * output[i]), scalar[i]);
        }
    }

    [Theory]
    [MemberData(nameof(VectorLevels))]
    public void SoftmaxLossMatchesTheScalarPathWithinAFewUlp(SimdLevel level)
    {
        var random = new Random(7);
        for (int n = 1; n <= MaxLength; n++)
        {
            var logits = Random(random, n, 8f);
            int[] clicks = Enumerable.Range(0, n).Where(i => i % 3 == 0).ToArray();
            var scalar = logits.ToArray();
            var vector = logits.ToArray();
            double scalarLoss = Loss.MultinomialNllRow(scalar, 0, clicks.Length, clicks, [], 0.5f, SimdLevel.Scalar);
            double vectorLoss = Loss.MultinomialNllRow(vector, 0, clicks.Length, clicks, [], 0.5f, level);
            Assert.Equal(scalarLoss, vectorLoss, 1e-5 * (1 + Math.Abs(scalarLoss)));
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(scalar[i] - vector[i]) <= 1e-6f * (1 + Math.Abs(scalar[i])), $"n {n}, item {i}: {scalar[i]} against {vector[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(VectorLevels))]
    public void TopKMatchesTheScalarPathExactly(SimdLevel level)
    {
        var random = new Random(9);
        for (int n = 0; n <= MaxLength; n++)
        {
            // Coarse values (many ties), with NaN and -inf sprinkled in.
            var scores = Enumerable.Range(0, n).Select(_ => random.Next(12) switch
            {
                0 => float.NaN,
                1 => float.NegativeInfinity,
                int v => v / 4f,
            }).ToArray();
            foreach (int k in new[] { 1, 3, 17, n })
                foreach (bool skip in new[] { true, false })
                {
                    var expected = new int[Math.Max(k, 1)];
                    var actual = new int[Math.Max(k, 1)];
                    int found = TopK.Select(scores, k, expected, skip, SimdLevel.Scalar);
                    Assert.Equal(found, TopK.Select(scores, k, actual, skip, level));
                    Assert.Equal(expected.AsSpan(0, found).ToArray(), actual.AsSpan(0, found).ToArray());
                }
        }
    }

    [Fact]
    public void TheDefaultLevelIsTheBestSupported()
    {
        Assert.True(SimdCapabilities.IsSupported(SimdCapabilities.Best));
        // The CI leg with DOTNET_EnableAVX512=0 relies on this to test the 256-bit paths by default.
        // (.NET 10 reads that knob; the older per-ISA DOTNET_EnableAVX512F=0 no longer turns AVX-512 off.)
        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0") Assert.NotEqual(SimdLevel.Vector512, SimdCapabilities.Best);
    }
}
