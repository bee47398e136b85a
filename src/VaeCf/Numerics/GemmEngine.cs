using System.Numerics.Tensors;

namespace VaeCf.Numerics;

/// <summary>
/// Single-precision GEMM over row-major spans: C = alpha * op(A) * op(B) + beta * C.
/// One instance owns its thread count and SIMD level; results are deterministic for a given
/// thread count because every output element is produced by exactly one thread in a fixed order.
/// </summary>
public sealed class GemmEngine
{
    public int Threads { get; }
    public SimdLevel Simd { get; }

    public GemmEngine(int threads = 0, SimdLevel? simd = null)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), "Thread count must be 0 (all cores) or positive.");
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        var level = simd ?? SimdCapabilities.Best;
        if (!SimdCapabilities.IsSupported(level)) throw new PlatformNotSupportedException($"SIMD level {level} is not supported by this processor.");
        Simd = level;
    }

    public static void Validate(Transpose transA, Transpose transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), "GEMM dimensions must be non-negative.");
        int aRows = transA == Transpose.No ? m : k, aCols = transA == Transpose.No ? k : m;
        int bRows = transB == Transpose.No ? k : n, bCols = transB == Transpose.No ? n : k;
        Check("A", aRows, aCols, aLength, lda);
        Check("B", bRows, bCols, bLength, ldb);
        Check("C", m, n, cLength, ldc);

        static void Check(string name, int rows, int cols, int length, int ld)
        {
            if (rows == 0 || cols == 0) return;
            if (ld < cols) throw new ArgumentException($"Leading dimension of {name} ({ld}) is smaller than its column count ({cols}).");
            if ((long)(rows - 1) * ld + cols > length) throw new ArgumentException($"{name} holds {length} floats, too few for {rows} x {cols} with leading dimension {ld}.");
        }
    }

    public unsafe void Multiply(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new Job((nint)pa, lda, (nint)pb, ldb, (nint)pc, ldc, m, n, k, alpha, beta, transA, transB);
            // Split the output rows into one band per thread; each band is independent.
            int bands = Math.Min(Threads, m);
            if (bands <= 1) job.Run(0, m);
            else Parallel.For(0, bands, new ParallelOptions { MaxDegreeOfParallelism = Threads },
                t => job.Run((int)((long)m * t / bands), (int)((long)m * (t + 1) / bands)));
        }
    }

    private readonly record struct Job(nint A, int Lda, nint B, int Ldb, nint C, int Ldc, int M, int N, int K,
        float Alpha, float Beta, Transpose TransA, Transpose TransB)
    {
        public unsafe void Run(int rowStart, int rowEnd)
        {
            float* a = (float*)A, b = (float*)B, c = (float*)C;
            for (int i = rowStart; i < rowEnd; i++)
            {
                var crow = new Span<float>(c + (long)i * Ldc, N);
                if (Beta == 0f) crow.Clear(); else if (Beta != 1f) TensorPrimitives.Multiply(crow, Beta, crow);
                if (TransB == Transpose.No)
                {
                    for (int p = 0; p < K; p++)
                    {
                        float av = Alpha * (TransA == Transpose.No ? a[(long)i * Lda + p] : a[(long)p * Lda + i]);
                        if (av == 0f) continue;
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(b + (long)p * Ldb, N), av, crow, crow);
                    }
                }
                else
                {
                    Span<float> arow = TransA == Transpose.No ? new Span<float>(a + (long)i * Lda, K) : GatherColumn(a, Lda, i, K);
                    for (int j = 0; j < N; j++)
                        crow[j] += Alpha * TensorPrimitives.Dot(arow, new ReadOnlySpan<float>(b + (long)j * Ldb, K));
                }
            }
        }

        private static unsafe Span<float> GatherColumn(float* a, int lda, int column, int k)
        {
            var col = new float[k];
            for (int p = 0; p < k; p++) col[p] = a[(long)p * lda + column];
            return col;
        }
    }
}
