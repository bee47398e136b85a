using VaeCf.Numerics;

namespace VaeCf.Tests;

public class GemmTests
{
    public static TheoryData<SimdLevel> Levels() => new() { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 };

    // Odd shapes: 1x1x1, primes, just under/over the tile sizes (14x32, 6x16, 4x4) and the vector
    // widths, k = 0, empty outputs, and k past one kc block (256) so the beta = 1 accumulation runs.
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (7, 13, 29), (97, 101, 103), (14, 32, 16), (15, 33, 17), (13, 31, 15), (6, 16, 8),
        (28, 48, 20), (12, 24, 9), (29, 47, 300), (3, 70, 520), (70, 3, 33), (1, 200, 7), (200, 1, 7), (5, 9, 0), (0, 9, 4), (9, 0, 4),
    ];

    [Theory]
    [MemberData(nameof(Levels))]
    public void MatchesReferenceOnOddShapesAllTransposes(SimdLevel level)
    {
        if (!SimdCapabilities.IsSupported(level)) return; // this CPU lacks the level; nothing to force
        var rng = new Random(1234);
        foreach (int threads in new[] { 1, 3 })
        {
            var engine = new GemmEngine(threads, level);
            foreach (var (m, n, k) in Shapes)
            foreach (var ta in new[] { Transpose.No, Transpose.Yes })
            foreach (var tb in new[] { Transpose.No, Transpose.Yes })
            foreach (var (alpha, beta) in new[] { (1f, 0f), (-0.5f, 1f), (2f, 0.25f) })
                Check(engine, rng, ta, tb, m, n, k, alpha, beta, pad: (m + n + k) % 3);
        }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void LeadingDimensionsWiderThanRowsAreRespected(SimdLevel level)
    {
        if (!SimdCapabilities.IsSupported(level)) return;
        var rng = new Random(7);
        var engine = new GemmEngine(2, level);
        foreach (var ta in new[] { Transpose.No, Transpose.Yes })
        foreach (var tb in new[] { Transpose.No, Transpose.Yes })
            Check(engine, rng, ta, tb, 45, 67, 290, 1.5f, -1f, pad: 19);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void LargeEnoughToThreadMatchesReference(SimdLevel level)
    {
        if (!SimdCapabilities.IsSupported(level)) return;
        var rng = new Random(99);
        foreach (int threads in new[] { 1, 3 })
        {
            var engine = new GemmEngine(threads, level);
            Check(engine, rng, Transpose.No, Transpose.No, 130, 150, 270, 1f, 0f, pad: 0);
            Check(engine, rng, Transpose.Yes, Transpose.No, 150, 130, 90, 1f, 1f, pad: 3);
            Check(engine, rng, Transpose.No, Transpose.Yes, 61, 40, 1100, 1f, 0f, pad: 0);
        }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void BetaZeroOverwritesNaNAndAlphaZeroIgnoresInputs(SimdLevel level)
    {
        if (!SimdCapabilities.IsSupported(level)) return;
        var engine = new GemmEngine(2, level);
        int m = 17, n = 35, k = 9;
        var a = Filled(m * k, 1f); var b = Filled(k * n, 2f);
        var c = Filled(m * n, float.NaN);
        engine.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, c, n);
        Assert.All(c, v => Assert.Equal(18f, v));

        a[3] = float.NaN;
        var c2 = Filled(m * n, 4f);
        engine.Multiply(Transpose.No, Transpose.No, m, n, k, 0f, a, k, b, n, 0.5f, c2, n);
        Assert.All(c2, v => Assert.Equal(2f, v));

        var c3 = Filled(m * n, float.NaN);
        engine.Multiply(Transpose.No, Transpose.No, m, n, 0, 1f, a, k, b, n, 0f, c3, n);
        Assert.All(c3, v => Assert.Equal(0f, v));
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void OneAndTwoRowProductsEqualTheSameRowsOfALargeProductBitForBit(SimdLevel level)
    {
        // One or two rows skip packing (a server scoring one user); their bits must be the packed
        // path's, or served scores would drift from evaluation's. k = 520 and 601 span two depth blocks.
        if (!SimdCapabilities.IsSupported(level)) return;
        var rng = new Random(17);
        var engine = new GemmEngine(2, level);
        const int m = 37;
        foreach (var (n, k) in new[] { (1, 1), (33, 17), (70, 520), (211, 601) })
        foreach (var (alpha, beta) in new[] { (1f, 0f), (1f, 1f), (-0.7f, 0.3f) })
        {
            var a = Random(rng, m * k); var b = Random(rng, k * n); var c0 = Random(rng, m * n);
            var all = (float[])c0.Clone();
            engine.Multiply(Transpose.No, Transpose.No, m, n, k, alpha, a, k, b, n, beta, all, n);
            foreach (int row in new[] { 0, 5, 35 })
            foreach (int rows in new[] { 1, 2 })
            {
                var part = c0.AsSpan(row * n, rows * n).ToArray();
                engine.Multiply(Transpose.No, Transpose.No, rows, n, k, alpha, a.AsSpan(row * k, rows * k), k, b, n, beta, part, n);
                Assert.Equal(all.AsSpan(row * n, rows * n).ToArray(), part);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void RepeatedCallsAndThreadCountsAreBitwiseEqual(SimdLevel level)
    {
        if (!SimdCapabilities.IsSupported(level)) return;
        var rng = new Random(5);
        int m = 123, n = 211, k = 530;
        foreach (var (ta, tb) in new[] { (Transpose.No, Transpose.No), (Transpose.Yes, Transpose.Yes) })
        {
            var a = Random(rng, m * k); var b = Random(rng, k * n); var c0 = Random(rng, m * n);
            int lda = ta == Transpose.No ? k : m, ldb = tb == Transpose.No ? n : k;
            float[] Run(GemmEngine e)
            {
                var c = (float[])c0.Clone();
                e.Multiply(ta, tb, m, n, k, 0.7f, a, lda, b, ldb, 0.3f, c, n);
                return c;
            }
            var one = new GemmEngine(1, level);
            var three = new GemmEngine(3, level);
            var first = Run(one);
            Assert.Equal(first, Run(one));
            Assert.Equal(first, Run(three));
            Assert.Equal(first, Run(three));
        }
    }

    [Fact]
    public void SteadyStateSingleThreadCallDoesNotAllocate()
    {
        var engine = new GemmEngine(1);
        int m = 40, n = 70, k = 500;
        var a = new float[m * k]; var b = new float[n * k]; var c = new float[m * n];
        engine.Multiply(Transpose.No, Transpose.Yes, m, n, k, 1f, a, k, b, k, 0f, c, n); // grows the buffers
        long before = GC.GetAllocatedBytesForCurrentThread();
        engine.Multiply(Transpose.No, Transpose.Yes, m, n, k, 1f, a, k, b, k, 0f, c, n);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void RejectsTooShortSpans()
    {
        var engine = new GemmEngine(1);
        Assert.Throws<ArgumentException>(() =>
            engine.Multiply(Transpose.No, Transpose.No, 2, 2, 2, 1f, new float[3], 2, new float[4], 2, 0f, new float[4], 2));
    }

    private static void Check(GemmEngine engine, Random rng, Transpose ta, Transpose tb, int m, int n, int k,
        float alpha, float beta, int pad)
    {
        int aRows = ta == Transpose.No ? m : k, aCols = ta == Transpose.No ? k : m;
        int bRows = tb == Transpose.No ? k : n, bCols = tb == Transpose.No ? n : k;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        var a = Random(rng, Math.Max(1, aRows * lda));
        var b = Random(rng, Math.Max(1, bRows * ldb));
        var c = Random(rng, Math.Max(1, m * ldc));
        var c0 = (float[])c.Clone();
        var expected = (float[])c.Clone();
        ReferenceGemm.Multiply(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
        engine.Multiply(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            int idx = i * ldc + j;
            // Forward error bound of a float32 dot product: (k + 2) * eps * (|alpha| sum |a||b| + |beta c|).
            double sumAbs = 0;
            for (int p = 0; p < k; p++)
                sumAbs += Math.Abs(ta == Transpose.No ? a[i * lda + p] : a[p * lda + i]) * Math.Abs(tb == Transpose.No ? b[p * ldb + j] : b[j * ldb + p]);
            double tol = (k + 2) * 1.2e-7 * (Math.Abs(alpha) * sumAbs + Math.Abs(beta * c0[idx])) + 1e-30;
            Assert.True(Math.Abs(expected[idx] - c[idx]) <= tol,
                $"{engine.Simd} t={engine.Threads} {ta}{tb} {m}x{n}x{k} a={alpha} b={beta} pad={pad}: C[{i},{j}] = {c[idx]}, expected {expected[idx]}");
        }
        // Padding columns of C must be untouched.
        for (int i = 0; i < m; i++)
        for (int j = n; j < ldc && i * ldc + j < c.Length; j++)
            Assert.Equal(expected[i * ldc + j], c[i * ldc + j]);
    }

    private static float[] Random(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    private static float[] Filled(int length, float value)
    {
        var x = new float[length];
        Array.Fill(x, value);
        return x;
    }
}
