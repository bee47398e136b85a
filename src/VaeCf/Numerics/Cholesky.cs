using System.Numerics.Tensors;

namespace VaeCf.Numerics;

/// <summary>
/// A symmetric matrix that is not positive definite in single precision: factorization found a
/// pivot that is zero, negative or not a number. <see cref="Pivot"/> is the 0-based row.
/// </summary>
public sealed class NotPositiveDefiniteException : VaeCfException
{
    /// <summary>0-based row (and column) of the failing diagonal pivot.</summary>
    public int Pivot { get; }
    /// <summary>The pivot found there: zero, negative or NaN (its square root was needed).</summary>
    public double PivotValue { get; }

    /// <summary>A one-line message naming the row and the pivot's value; a <see cref="VaeCfException"/>, so the CLI reports it with exit code 2.</summary>
    public NotPositiveDefiniteException(int pivot, double pivotValue)
        : base($"The matrix is not positive definite: the Cholesky pivot of row {pivot} is {pivotValue:G6} (it must be a positive number).")
    {
        Pivot = pivot;
        PivotValue = pivotValue;
    }
}

/// <summary>
/// Blocked, multi-threaded Cholesky factorization and inverse of dense symmetric positive definite
/// float matrices stored row-major n x n, LAPACK style (potrf, trtri, lauum). Nearly all the
/// n^3 flops go through <see cref="GemmEngine"/>, which supplies the threads and the SIMD,
/// including the panel solves (against explicitly inverted diagonal blocks). Every output element is
/// written by one thread in a fixed order, so results are deterministic for a given engine.
/// Diagonal blocks are factored and inverted in double precision: that is where float
/// cancellation would hurt most, and it costs O(n * block^2).
/// </summary>
public static class Cholesky
{
    /// <summary>Large enough that the GEMM calls are efficient, small enough that the
    /// unblocked diagonal work (serial, O(block^3) per block) stays negligible.</summary>
    public const int DefaultBlockSize = 256;

    /// <summary>
    /// Overwrites the lower triangle of <paramref name="matrix"/> with L where A = L L^T, and zeroes
    /// the strict upper triangle. Only the lower triangle of A is read.
    /// </summary>
    /// <exception cref="NotPositiveDefiniteException">A is not positive definite (in float).</exception>
    public static void Factor(Span<float> matrix, int n, GemmEngine gemm, int blockSize = DefaultBlockSize)
    {
        CheckArguments(matrix, n, gemm, blockSize);
        int nb = Math.Min(blockSize, n);
        var blockWork = new double[nb * nb];
        var blockInverseWork = new double[nb * nb];
        var diagonalInverse = new float[nb * nb];
        var panel = new float[(long)(n - nb) * nb];
        for (int j = 0; j < n; j += blockSize)
        {
            int jb = Math.Min(blockSize, n - j);
            FactorDiagonalBlock(matrix, n, j, jb, blockWork);
            int trailingStart = j + jb, trailing = n - trailingStart;
            if (trailing == 0) break;

            // Panel solve X := X L11^-T as a GEMM against L11^-1 (inverted in double): twice the
            // flops of substitution, but on the fast kernel instead of short serial dot products.
            InvertLowerBlock(matrix[(j * n + j)..], n, diagonalInverse, jb, jb, blockWork, blockInverseWork, j);
            Span<float> copy = panel.AsSpan(0, trailing * jb);
            for (int r = 0; r < trailing; r++) matrix.Slice((trailingStart + r) * n + j, jb).CopyTo(copy.Slice(r * jb, jb));
            gemm.Multiply(Transpose.No, Transpose.Yes, trailing, jb, jb, 1f, copy, jb,
                diagonalInverse, jb, 0f, matrix[(trailingStart * n + j)..], n);

            // SYRK on the trailing lower triangle, one block row at a time so no flops are spent
            // above the diagonal beyond the diagonal blocks themselves.
            for (int r = trailingStart; r < n; r += blockSize)
            {
                int rb = Math.Min(blockSize, n - r);
                gemm.Multiply(Transpose.No, Transpose.Yes, rb, r + rb - trailingStart, jb, -1f,
                    matrix[(r * n + j)..], n,
                    matrix[(trailingStart * n + j)..], n,
                    1f, matrix[(r * n + trailingStart)..], n);
            }
        }
        ClearStrictUpper(matrix, n, gemm.Threads);
    }

    /// <summary>
    /// Overwrites a lower-triangular L (lower triangle of <paramref name="lower"/>; the upper
    /// triangle is ignored and zeroed) with L^-1, lower triangular.
    /// </summary>
    public static void InvertLower(Span<float> lower, int n, GemmEngine gemm, int blockSize = DefaultBlockSize)
    {
        CheckArguments(lower, n, gemm, blockSize);
        ClearStrictUpper(lower, n, gemm.Threads);
        int nb = Math.Min(blockSize, n);
        var blockWork = new double[nb * nb];
        var blockInverse = new double[nb * nb];
        var panel = new float[(long)(n - Math.Min(n, nb)) * nb];

        // Bottom-right to top-left: with L = [L11 0; L21 L22] and L22^-1 already in place,
        // the block column below L11^-1 is -L22^-1 (L21 L11^-1).
        for (int j = (n - 1) / blockSize * blockSize; j >= 0; j -= blockSize)
        {
            int jb = Math.Min(blockSize, n - j);
            InvertLowerBlock(lower[(j * n + j)..], n, lower[(j * n + j)..], n, jb, blockWork, blockInverse, j);
            int trailingStart = j + jb, trailing = n - trailingStart;
            if (trailing == 0) continue;

            Span<float> scaled = panel.AsSpan(0, trailing * jb);
            gemm.Multiply(Transpose.No, Transpose.No, trailing, jb, jb, 1f,
                lower[(trailingStart * n + j)..], n, lower[(j * n + j)..], n, 0f, scaled, jb);

            // Row block R of L22^-1 is zero right of its own diagonal block, so stop k there.
            for (int r = trailingStart; r < n; r += blockSize)
            {
                int rb = Math.Min(blockSize, n - r);
                gemm.Multiply(Transpose.No, Transpose.No, rb, jb, r + rb - trailingStart, -1f,
                    lower[(r * n + trailingStart)..], n, scaled, jb, 0f, lower[(r * n + j)..], n);
            }
        }
    }

    /// <summary>
    /// Overwrites a lower-triangular W (strict upper triangle must be zero, as
    /// <see cref="InvertLower"/> leaves it) with the lower triangle of W^T W. Diagonal blocks come
    /// out full; the rest of the upper triangle is left as it was.
    /// </summary>
    internal static void LowerTransposeTimesLower(Span<float> lower, int n, GemmEngine gemm, int blockSize)
    {
        int nb = Math.Min(blockSize, n);
        var diagonal = new float[nb * nb];
        var rowBand = new float[(long)nb * Math.Max(0, n - nb)];

        // Block row I of W^T W (left of and on the diagonal) is
        //   W(I,I)^T W(I, 0:I]  +  W(K,I)^T W(K, 0:I]  over K below I;
        // going top-down, rows below I are still W when row I is overwritten.
        for (int i = 0; i < n; i += blockSize)
        {
            int ib = Math.Min(blockSize, n - i);
            Span<float> d = diagonal.AsSpan(0, ib * ib);
            for (int r = 0; r < ib; r++)
            {
                Span<float> dRow = d.Slice(r * ib, ib);
                lower.Slice((i + r) * n + i, r + 1).CopyTo(dRow);
                dRow[(r + 1)..].Clear();
            }
            if (i > 0)
            {
                Span<float> band = rowBand.AsSpan(0, ib * i);
                for (int r = 0; r < ib; r++) lower.Slice((i + r) * n, i).CopyTo(band.Slice(r * i, i));
                gemm.Multiply(Transpose.Yes, Transpose.No, ib, i, ib, 1f, d, ib, band, i, 0f, lower[(i * n)..], n);
            }
            gemm.Multiply(Transpose.Yes, Transpose.No, ib, ib, ib, 1f, d, ib, d, ib, 0f, lower[(i * n + i)..], n);

            int below = i + ib, belowCount = n - below;
            if (belowCount > 0)
                gemm.Multiply(Transpose.Yes, Transpose.No, ib, i + ib, belowCount, 1f,
                    lower[(below * n + i)..], n, lower[(below * n)..], n, 1f, lower[(i * n)..], n);
        }
    }

    /// <summary>
    /// Overwrites a symmetric positive definite <paramref name="matrix"/> (only its lower triangle
    /// is read) with its inverse, stored full and symmetric: factor, invert the factor, then
    /// A^-1 = L^-T L^-1. About n^3 flops, no memory beyond n * block floats of scratch.
    /// </summary>
    /// <exception cref="NotPositiveDefiniteException">A is not positive definite (in float).</exception>
    public static void InvertSymmetricPositiveDefinite(Span<float> matrix, int n, GemmEngine gemm, int blockSize = DefaultBlockSize)
    {
        Factor(matrix, n, gemm, blockSize);
        InvertLower(matrix, n, gemm, blockSize);
        LowerTransposeTimesLower(matrix, n, gemm, blockSize);
        MirrorLowerToUpper(matrix, n, gemm.Threads);
    }

    /// <summary>Copies the strict lower triangle onto the strict upper one, tile by tile so both
    /// the reads and the transposed writes stay in cache.</summary>
    public static unsafe void MirrorLowerToUpper(Span<float> matrix, int n, int threads)
    {
        if (n <= 1) return;
        const int tile = 64;
        int tiles = (n + tile - 1) / tile;
        fixed (float* basePointer = matrix)
        {
            nint address = (nint)basePointer;
            ForEachChunk(tiles, threads, (first, end) =>
            {
                float* a = (float*)address;
                for (int tr = first; tr < end; tr++)
                {
                    int rowStart = tr * tile, rowEnd = Math.Min(n, rowStart + tile);
                    for (int colStart = 0; colStart <= rowStart; colStart += tile)
                    {
                        int colEnd = Math.Min(n, colStart + tile);
                        for (int r = rowStart; r < rowEnd; r++)
                        {
                            int lastCol = Math.Min(colEnd, r);
                            float* row = a + (long)r * n;
                            for (int c = colStart; c < lastCol; c++) a[(long)c * n + r] = row[c];
                        }
                    }
                }
            });
        }
    }

    private static void CheckArguments(ReadOnlySpan<float> matrix, int n, GemmEngine gemm, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(gemm);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        if ((long)n * n > matrix.Length)
            throw new ArgumentException($"The matrix holds {matrix.Length} floats, too few for {n} x {n}.", nameof(matrix));
    }

    /// <summary>Cholesky-Banachiewicz on one diagonal block, in double; the block has already
    /// received every update from the columns to its left.</summary>
    private static void FactorDiagonalBlock(Span<float> a, int n, int j, int jb, double[] work)
    {
        for (int r = 0; r < jb; r++)
        {
            Span<float> source = a.Slice((j + r) * n + j, r + 1);
            Span<double> row = work.AsSpan(r * jb, r + 1);
            for (int c = 0; c <= r; c++) row[c] = source[c];
            for (int c = 0; c < r; c++)
                row[c] = (row[c] - TensorPrimitives.Dot<double>(row[..c], work.AsSpan(c * jb, c))) / work[c * jb + c];
            double pivot = row[r] - TensorPrimitives.Dot<double>(row[..r], row[..r]);
            if (!double.IsFinite(pivot) || pivot <= 0) throw new NotPositiveDefiniteException(j + r, pivot);
            row[r] = Math.Sqrt(pivot);
            for (int c = 0; c <= r; c++) source[c] = (float)row[c];
        }
    }

    /// <summary>Inverts one lower-triangular block in double, row by row: row i of L^-1 is
    /// -(sum over k &lt; i of L(i,k) row k of L^-1) / L(i,i), plus 1/L(i,i) on the diagonal.
    /// Reads the lower triangle of <paramref name="source"/> and writes the full block, zeros above
    /// the diagonal, to <paramref name="target"/>; the two may be the same block.</summary>
    private static void InvertLowerBlock(ReadOnlySpan<float> source, int sourceStride, Span<float> target, int targetStride,
        int size, double[] work, double[] inverse, int firstRow)
    {
        for (int r = 0; r < size; r++)
        {
            ReadOnlySpan<float> row = source.Slice(r * sourceStride, r + 1);
            for (int c = 0; c <= r; c++) work[r * size + c] = row[c];
        }
        for (int i = 0; i < size; i++)
        {
            Span<double> row = inverse.AsSpan(i * size, i + 1);
            row.Clear();
            for (int k = 0; k < i; k++)
            {
                Span<double> partial = row[..(k + 1)];
                TensorPrimitives.MultiplyAdd<double>(inverse.AsSpan(k * size, k + 1), work[i * size + k], partial, partial);
            }
            double diagonal = work[i * size + i];
            if (!double.IsFinite(diagonal) || diagonal == 0) throw new NotPositiveDefiniteException(firstRow + i, diagonal);
            double reciprocal = 1.0 / diagonal;
            TensorPrimitives.Multiply<double>(row[..i], -reciprocal, row[..i]);
            row[i] = reciprocal;
        }
        for (int i = 0; i < size; i++)
        {
            Span<float> row = target.Slice(i * targetStride, size);
            for (int c = 0; c <= i; c++) row[c] = (float)inverse[i * size + c];
            row[(i + 1)..].Clear();
        }
    }

    private static unsafe void ClearStrictUpper(Span<float> a, int n, int threads)
    {
        fixed (float* basePointer = a)
        {
            nint address = (nint)basePointer;
            ForEachChunk(n, threads, (start, end) =>
            {
                for (int r = start; r < end; r++)
                    new Span<float>((float*)address + (long)r * n + r + 1, n - r - 1).Clear();
            });
        }
    }

    /// <summary>Splits [0, count) into a few contiguous chunks per thread (rows near the bottom
    /// cost more in triangular loops, so more chunks than threads balance the load).</summary>
    internal static void ForEachChunk(int count, int threads, Action<int, int> body)
    {
        if (count <= 0) return;
        int chunks = Math.Min(count, threads <= 1 ? 1 : threads * 8);
        if (chunks == 1) { body(0, count); return; }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads },
            c => body((int)((long)count * c / chunks), (int)((long)count * (c + 1) / chunks)));
    }
}
