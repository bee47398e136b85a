using VaeCf.Numerics;

namespace VaeCf.Tests;

/// <summary>
/// <see cref="GemmEngine.MultiplyPacked"/> must give <see cref="GemmEngine.Multiply"/>'s bits for the
/// same product, for every row count the packed path treats differently (lone rows, groups of four,
/// whole and padded 14-row tiles), depths over one and several depth blocks, partial last panels,
/// leading dimensions wider than the rows, and A with or without its implied column of ones.
/// </summary>
public class PackedBTests
{
    [Theory]
    [InlineData(1, 40, 300)]
    [InlineData(3, 401, 75)]
    [InlineData(4, 385, 130)]
    [InlineData(15, 24, 75)]
    [InlineData(19, 400, 64)]
    [InlineData(33, 800, 97)]
    [InlineData(64, 129, 33)]
    public void PackedProductsAreTheEnginesToTheBit(int m, int k, int n)
    {
        var gemm = new GemmEngine(2);
        if (!gemm.SupportsPackedB)
        {
            Assert.Throws<PlatformNotSupportedException>(() => gemm.PackB(new float[k * n], k, n, n));
            return;
        }
        var random = new Random(m * 1000 + k);
        int lda = k + 3, ldb = n + 5, ldc = n + 2;
        var a = Enumerable.Range(0, m * lda).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var b = Enumerable.Range(0, k * ldb).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var packed = gemm.PackB(b, k, n, ldb);
        Assert.Equal((k, n), (packed.Depth, packed.Columns));

        var expected = new float[m * ldc];
        gemm.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, a, lda, b, ldb, 0f, expected, ldc);
        var actual = Enumerable.Repeat(float.NaN, m * ldc).ToArray(); // overwritten, NaNs and all
        gemm.MultiplyPacked(m, a, lda, packed, actual, ldc);
        for (int i = 0; i < m; i++)
            Assert.Equal(expected.AsSpan(i * ldc, n).ToArray(), actual.AsSpan(i * ldc, n).ToArray());

        // A one column short, the last taken as ones: [h, 1] . B against the engine on the explicit ones.
        var withOnes = (float[])a.Clone();
        for (int i = 0; i < m; i++) withOnes[i * lda + k - 1] = 1f;
        gemm.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, withOnes, lda, b, ldb, 0f, expected, ldc);
        var shortA = (float[])a.Clone();
        for (int i = 0; i < m; i++) shortA[i * lda + k - 1] = float.NaN; // never read
        gemm.MultiplyPacked(m, shortA, lda, packed, actual, ldc, onesColumn: true);
        for (int i = 0; i < m; i++)
            Assert.Equal(expected.AsSpan(i * ldc, n).ToArray(), actual.AsSpan(i * ldc, n).ToArray());
    }

    [Fact]
    public void BuffersTooSmallAreRefused()
    {
        var gemm = new GemmEngine(1);
        if (!gemm.SupportsPackedB) return;
        var packed = gemm.PackB(new float[8 * 40], 8, 40, 40);
        Assert.Throws<ArgumentException>(() => gemm.MultiplyPacked(2, new float[8], 8, packed, new float[80], 40));
        Assert.Throws<ArgumentException>(() => gemm.MultiplyPacked(2, new float[16], 8, packed, new float[79], 40));
    }
}
