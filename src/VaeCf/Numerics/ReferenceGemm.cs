namespace VaeCf.Numerics;

/// <summary>
/// The textbook triple loop, kept as the ground truth for tests and as documentation of the
/// contract: C = alpha * op(A) * op(B) + beta * C, all row-major, op(A) is m x k, op(B) is k x n.
/// </summary>
public static class ReferenceGemm
{
    /// <summary>
    /// C = alpha * op(A) * op(B) + beta * C, each element summed in double over k in order, then rounded.
    /// beta == 0 overwrites C (NaNs in C are not read). No argument checks and no threads: O(m n k), for tests.
    /// </summary>
    public static void Multiply(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double sum = 0;
            for (int p = 0; p < k; p++)
            {
                float av = transA == Transpose.No ? a[i * lda + p] : a[p * lda + i];
                float bv = transB == Transpose.No ? b[p * ldb + j] : b[j * ldb + p];
                sum += (double)av * bv;
            }
            float prior = beta == 0f ? 0f : beta * c[i * ldc + j];
            c[i * ldc + j] = (float)(alpha * sum) + prior;
        }
    }
}
