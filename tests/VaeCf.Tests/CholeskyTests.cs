using VaeCf.Numerics;

namespace VaeCf.Tests;

public class CholeskyTests
{
    private static readonly GemmEngine Gemm = new(threads: 2);

    /// <summary>M M^T + n I: comfortably conditioned, so float errors stay near machine precision.</summary>
    private static double[] RandomSpd(int n, int seed)
    {
        var rng = new Random(seed);
        var m = new double[n * n];
        for (int i = 0; i < m.Length; i++) m[i] = rng.NextDouble() * 2 - 1;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++)
        {
            double s = 0;
            for (int k = 0; k < n; k++) s += m[i * n + k] * m[j * n + k];
            a[i * n + j] = a[j * n + i] = s + (i == j ? n : 0);
        }
        return a;
    }

    private static float[] ToFloat(double[] a) => Array.ConvertAll(a, x => (float)x);

    /// <summary>Gauss-Jordan with partial pivoting in double: the independent reference.</summary>
    internal static double[] DirectInverse(double[] a, int n)
    {
        var work = (double[])a.Clone();
        var inv = new double[n * n];
        for (int i = 0; i < n; i++) inv[i * n + i] = 1;
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++) if (Math.Abs(work[r * n + col]) > Math.Abs(work[pivot * n + col])) pivot = r;
            if (pivot != col)
                for (int c = 0; c < n; c++)
                {
                    (work[col * n + c], work[pivot * n + c]) = (work[pivot * n + c], work[col * n + c]);
                    (inv[col * n + c], inv[pivot * n + c]) = (inv[pivot * n + c], inv[col * n + c]);
                }
            double d = work[col * n + col];
            for (int c = 0; c < n; c++) { work[col * n + c] /= d; inv[col * n + c] /= d; }
            for (int r = 0; r < n; r++)
            {
                if (r == col) continue;
                double f = work[r * n + col];
                if (f == 0) continue;
                for (int c = 0; c < n; c++) { work[r * n + c] -= f * work[col * n + c]; inv[r * n + c] -= f * inv[col * n + c]; }
            }
        }
        return inv;
    }

    // Matrix sizes and block sizes: one block, several, a ragged last block, blocks smaller than a GEMM tile.
    public static TheoryData<int, int> Sizes() => new() { { 1, 256 }, { 5, 256 }, { 17, 256 }, { 17, 4 }, { 300, 256 }, { 600, 256 }, { 130, 32 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void FactorReproducesTheMatrix(int n, int blockSize)
    {
        double[] a = RandomSpd(n, seed: n);
        float[] l = ToFloat(a);
        Cholesky.Factor(l, n, Gemm, blockSize);
        double worst = 0;
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
        {
            if (j > i) { Assert.Equal(0f, l[i * n + j]); continue; }
            double s = 0;
            for (int k = 0; k <= j; k++) s += (double)l[i * n + k] * l[j * n + k];
            worst = Math.Max(worst, Math.Abs(s - a[i * n + j]) / a[i * n + i]);
        }
        Assert.True(worst < 1e-5, $"max relative error of L L^T {worst}");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void InverseTimesMatrixIsIdentityAndMatchesDirectSolve(int n, int blockSize)
    {
        double[] a = RandomSpd(n, seed: 1000 + n);
        float[] p = ToFloat(a);
        Cholesky.InvertSymmetricPositiveDefinite(p, n, Gemm, blockSize);

        double[] reference = DirectInverse(a, n);
        double worstIdentity = 0, worstEntry = 0, referenceScale = 0;
        foreach (double x in reference) referenceScale = Math.Max(referenceScale, Math.Abs(x));
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
        {
            Assert.Equal(p[i * n + j], p[j * n + i]);
            double s = 0;
            for (int k = 0; k < n; k++) s += p[i * n + k] * a[k * n + j];
            worstIdentity = Math.Max(worstIdentity, Math.Abs(s - (i == j ? 1 : 0)));
            worstEntry = Math.Max(worstEntry, Math.Abs(p[i * n + j] - reference[i * n + j]));
        }
        Assert.True(worstIdentity < 1e-4, $"max |P A - I| {worstIdentity}");
        Assert.True(worstEntry < 1e-5 * referenceScale, $"max |P - inv(A)| {worstEntry} (scale {referenceScale})");
    }

    [Fact]
    public void InvertLowerMatchesDirectInverse()
    {
        const int n = 70;
        var rng = new Random(7);
        var l = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < i; j++) l[i * n + j] = rng.NextDouble() - 0.5;
            l[i * n + i] = 1 + rng.NextDouble();
        }
        float[] w = ToFloat(l);
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) w[i * n + j] = 123f; // ignored and cleared
        Cholesky.InvertLower(w, n, Gemm, blockSize: 16);
        double[] reference = DirectInverse(l, n);
        for (int i = 0; i < n * n; i++) Assert.True(Math.Abs(w[i] - reference[i]) < 1e-4, $"entry {i}: {w[i]} vs {reference[i]}");
    }

    [Fact]
    public void NonPositiveDefiniteMatrixNamesThePivot()
    {
        // Leading 2x2 is SPD; the third pivot is 1 - 1 - 1 = -1.
        float[] a = [2, 0, 0,
                     0, 1, 0,
                     0, 1, 0];
        var error = Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.Factor(a, 3, Gemm));
        Assert.Equal(2, error.Pivot);
        Assert.IsAssignableFrom<VaeCfException>(error);
        Assert.Contains("row 2", error.Message);

        var blocked = RandomSpd(40, 3).Select(x => (float)x).ToArray();
        blocked[33 * 40 + 33] = -5f;
        Assert.Equal(33, Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.Factor(blocked, 40, Gemm, blockSize: 8)).Pivot);
    }

    [Fact]
    public void NaNInputIsRejected()
    {
        float[] a = [4, 0, float.NaN, 1];
        Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.Factor(a, 2, Gemm));
    }
}
