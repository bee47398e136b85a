using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VaeCf.Numerics;

/// <summary>
/// Single-precision GEMM over row-major spans: C = alpha * op(A) * op(B) + beta * C.
/// <para>
/// Goto/BLIS structure: op(B) is packed in kc x nc blocks, op(A) in mc x kc blocks, both into
/// micro-panels a register-blocked FMA kernel streams with unit stride (14 x 32 with Vector512,
/// 6 x 16 with Vector256, 4 x 4 scalar). All four transpose cases differ only in the packing.
/// </para>
/// <para>
/// Threads split the output into bands of whole tiles along m or n, whichever wastes less, and
/// take the bands first-come (a few per thread where re-packing is cheap). Each output element is
/// one FMA chain over k in kc blocks that depend only on k, computed by a single thread, so
/// results are bitwise reproducible and do not depend on the thread count or on which thread took
/// which band (only on the SIMD level). beta == 0 overwrites C, so NaNs already in C do not
/// propagate; alpha == 0 or k == 0 reads neither A nor B. Products of one or two rows without
/// transposes skip packing and compute the same sums row by row (a server scoring one user).
/// </para>
/// <para>
/// An instance owns per-thread packing buffers that grow to the largest call and are reused, so a
/// steady-state call does not allocate them again (a one-thread call allocates nothing; a threaded
/// call only Parallel.For's small bookkeeping). Use one instance from one caller at a time
/// (it is not thread-safe); give each concurrent caller its own engine.
/// </para>
/// </summary>
public sealed unsafe class GemmEngine
{
    /// <summary>Threads a call may use (<see cref="Environment.ProcessorCount"/> when constructed with 0); results do not depend on it.</summary>
    public int Threads { get; }
    /// <summary>The kernels in use; results are bitwise reproducible for a given level, not across levels.</summary>
    public SimdLevel Simd { get; }

    /// <summary>The AVX-512 register tile (<see cref="GemmKernels.Avx512_14x32"/>), which <see cref="PackedB"/> shares.</summary>
    internal const int Avx512TileRows = 14, Avx512TileColumns = 32;

    private readonly int _mr, _nr, _kcMax, _mcMax, _ncMax;
    private readonly bool _rowsOuter = true;
    private readonly delegate*<float*, float*, int, float*, nint, float, float, void> _kernel;
    // Reads the same NR-wide packed B panel but computes only its first NR/2 columns.
    private readonly delegate*<float*, float*, int, float*, nint, float, float, void> _halfKernel;
    private readonly Workspace[] _workspaces;
    private readonly ParallelOptions _parallelOptions;
    private readonly Action<int> _runPart;
    private Job _job;
    private int _nextChunk;

    /// <summary>An engine for <paramref name="threads"/> threads (0 = all cores) with the kernels of <paramref name="simd"/> (the best supported when null).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is negative.</exception>
    /// <exception cref="PlatformNotSupportedException">This processor cannot run <paramref name="simd"/>.</exception>
    public GemmEngine(int threads = 0, SimdLevel? simd = null)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), "Thread count must be 0 (all cores) or positive.");
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        var level = simd ?? SimdCapabilities.Best;
        if (!SimdCapabilities.IsSupported(level)) throw new PlatformNotSupportedException($"SIMD level {level} is not supported by this processor.");
        Simd = level;
        // Loop order per (kc, mc, nc) block: row tiles outer, column tiles inner. The kc x MR A
        // micro-panel (21 KiB at kc = 384) stays in the 48 KiB L1d, the kc x nc B block (1.5 MiB)
        // in the 2 MiB L2, and C is walked along its rows, which is kind to the TLB and the
        // prefetchers when ldc is 20k floats. Measured on the Xeon this was written on: 5-15% over
        // the column-outer (BLIS) order for the Mult-VAE output-layer and square shapes.
        switch (level)
        {
            case SimdLevel.Vector512: (_mr, _nr, _kcMax, _mcMax, _ncMax) = (Avx512TileRows, Avx512TileColumns, 384, 2016, 1024); _kernel = &GemmKernels.Avx512_14x32; _halfKernel = &GemmKernels.Avx512_14x16; break;
            case SimdLevel.Vector256: (_mr, _nr, _kcMax, _mcMax, _ncMax) = (6, 16, 384, 1008, 1024); _kernel = &GemmKernels.Avx2_6x16; _halfKernel = &GemmKernels.Avx2_6x8; break;
            default: (_mr, _nr, _kcMax, _mcMax, _ncMax) = (4, 4, 256, 256, 1024); _kernel = &ScalarKernel4x4; _halfKernel = null; break;
        }
        _workspaces = new Workspace[Threads];
        for (int t = 0; t < Threads; t++) _workspaces[t] = new Workspace(_mr * _nr);
        _parallelOptions = new ParallelOptions { MaxDegreeOfParallelism = Threads };
        _runPart = RunPart;
    }

    /// <summary>Overrides the cache blocking; for tuning runs of the benchmark only.</summary>
    internal GemmEngine(int threads, SimdLevel simd, int kcMax, int mcMax, int ncMax, bool? rowsOuter = null) : this(threads, simd)
    {
        if (rowsOuter is bool r) _rowsOuter = r;
        if (kcMax > 0) _kcMax = kcMax;
        if (mcMax > 0) _mcMax = mcMax;
        if (ncMax > 0) _ncMax = ncMax;
    }

    /// <summary>How many depth blocks (of at most the largest, _kcMax) a product over <paramref name="k"/> is summed in.</summary>
    private int DepthBlockCount(int k) => (k + _kcMax - 1) / _kcMax;

    /// <summary>Where depth block <paramref name="block"/> of <paramref name="blocks"/> starts: equal blocks, so the sum order depends only on k.</summary>
    private static int DepthBlockStart(int k, int blocks, int block) => (int)((long)k * block / blocks);

    /// <summary>
    /// The depth blocks of a product over <paramref name="k"/>: block b is [starts[b], starts[b + 1]).
    /// Code that reproduces this engine's sums outside it (the packed B, the serving screen's exact
    /// rescoring) takes its blocks from here.
    /// </summary>
    internal int[] DepthBlockStarts(int k)
    {
        int blocks = Math.Max(1, DepthBlockCount(k));
        var starts = new int[blocks + 1];
        for (int b = 0; b <= blocks; b++) starts[b] = DepthBlockStart(k, blocks, b);
        return starts;
    }

    /// <summary>Whether <see cref="PackB"/> is available: the packed form is laid out for the AVX-512 kernels.</summary>
    public bool SupportsPackedB => Simd == SimdLevel.Vector512 && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Packs B (k x n, row-major, leading dimension <paramref name="ldb"/>) once for many products
    /// with few rows of A (<see cref="MultiplyPacked"/>), as BLAS's sgemm_pack. The copy holds
    /// about k x n floats and this engine's depth blocks.
    /// </summary>
    public PackedB PackB(ReadOnlySpan<float> b, int k, int n, int ldb)
    {
        if (!SupportsPackedB) throw new PlatformNotSupportedException($"Packed B needs the AVX-512 kernels; this engine runs {Simd}.");
        Validate(Transpose.No, Transpose.No, 1, n, k, k, k, b.Length, ldb, n, n);
        if (k == 0) throw new ArgumentOutOfRangeException(nameof(k), "A packed B needs at least one row.");
        return new PackedB(b, k, n, ldb, DepthBlockStarts(k), Threads);
    }

    /// <summary>
    /// C = A · B with B packed by <see cref="PackB"/> (C[m x n] overwritten, as beta = 0), bit for
    /// bit what <see cref="Multiply"/> gives for the same product on the packing engine. With
    /// <paramref name="onesColumn"/>, A holds k − 1 columns and the last is taken as ones: an
    /// affine layer [h, 1] · [W; b] without copying h. One caller at a time per packed B.
    /// </summary>
    public void MultiplyPacked(int m, ReadOnlySpan<float> a, int lda, PackedB b, Span<float> c, int ldc, bool onesColumn = false)
    {
        ArgumentNullException.ThrowIfNull(b);
        b.Multiply(m, a, lda, c, ldc, onesColumn);
    }

    /// <summary>Register tile height (rows of C per kernel call) of the chosen SIMD level.</summary>
    public int TileRows => _mr;
    /// <summary>Register tile width (columns of C per kernel call) of the chosen SIMD level.</summary>
    public int TileColumns => _nr;

    /// <summary>
    /// Checks a GEMM call's shapes against its buffers: m, n, k non-negative; each operand's leading
    /// dimension at least its stored column count and its span long enough for (rows - 1) x ld + columns floats.
    /// Operands with a zero dimension are not checked.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    /// <exception cref="ArgumentException">A leading dimension or buffer is too small (the message names A, B or C).</exception>
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

    /// <summary>
    /// C = alpha * op(A) * op(B) + beta * C on row-major spans: op(A) is m x k, op(B) k x n, C m x n with leading
    /// dimensions <paramref name="lda"/>, <paramref name="ldb"/>, <paramref name="ldc"/> (floats between row starts
    /// of the stored matrices). C must not overlap A or B. Bitwise reproducible for a given <see cref="Simd"/>,
    /// whatever the thread count. Not thread-safe: one call at a time per engine.
    /// </summary>
    /// <exception cref="ArgumentException">A shape does not fit its buffer (see <see cref="Validate"/>).</exception>
    public void Multiply(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (k == 0 || alpha == 0f) { ScaleC(pc, ldc, m, n, beta); return; }
            if (m <= FewRows && transA == Transpose.No && transB == Transpose.No)
            {
                MultiplyFewRows(pa, lda, pb, ldb, pc, ldc, m, n, k, alpha, beta);
                return;
            }
            var plan = Plan(m, n, k);
            _nextChunk = 0;
            _job = new Job(pa, lda, pb, ldb, pc, ldc, m, n, k, alpha, beta, transA == Transpose.Yes, transB == Transpose.Yes, plan);
            try
            {
                if (plan.Parts == 1) RunPart(0);
                else Parallel.For(0, plan.Parts, _parallelOptions, _runPart);
            }
            finally { _job = default; }
        }
    }

    /// <summary>Rows up to which a product without transposes skips packing (a server scoring one user).</summary>
    internal const int FewRows = 2;

    /// <summary>
    /// C = alpha * A . B + beta * C for one or two rows of A, row by row, without packing: packing B
    /// (the whole weight matrix) costs more than the product when A has a row or two. Each output is
    /// the kernels' arithmetic exactly: per depth block (the same blocks), a chain over depth in
    /// order started from zero (fused multiply-adds where the kernels fuse, the scalar kernel's
    /// multiply-then-add where it does not), merged as alpha * sum or fma(c, beta, alpha * sum), beta
    /// becoming 1 after the first block. So a row gives the same bits here as in a large product.
    /// </summary>
    private void MultiplyFewRows(float* a, int lda, float* b, int ldb, float* c, int ldc, int m, int n, int k, float alpha, float beta)
    {
        int kBlocks = DepthBlockCount(k);
        float* sum = _workspaces[0].EnsureB(n + 16);
        for (int i = 0; i < m; i++)
        {
            float* aRow = a + (nint)i * lda, cRow = c + (nint)i * ldc;
            for (int kb = 0; kb < kBlocks; kb++)
            {
                int p0 = DepthBlockStart(k, kBlocks, kb), p1 = DepthBlockStart(k, kBlocks, kb + 1);
                new Span<float>(sum, n).Clear();
                for (int p = p0; p < p1; p++) AccumulateRow(aRow[p], b + (nint)p * ldb, sum, n);
                MergeTile(sum, n, cRow, ldc, 1, n, alpha, kb == 0 ? beta : 1f);
            }
        }
    }

    /// <summary>sum[j] = chain step of a * b[j] onto sum[j], fused or not as the chosen SIMD level's kernel does it.</summary>
    private void AccumulateRow(float a, float* b, float* sum, int n)
    {
        int j = 0;
        if (Simd == SimdLevel.Vector512)
        {
            var va = Vector512.Create(a);
            for (; j + 16 <= n; j += 16) Avx512F.FusedMultiplyAdd(va, Vector512.Load(b + j), Vector512.Load(sum + j)).Store(sum + j);
        }
        else if (Simd == SimdLevel.Vector256)
        {
            var va = Vector256.Create(a);
            for (; j + 8 <= n; j += 8) Fma.MultiplyAdd(va, Vector256.Load(b + j), Vector256.Load(sum + j)).Store(sum + j);
        }
        else
        {
            for (; j < n; j++) sum[j] += a * b[j];
            return;
        }
        for (; j < n; j++) sum[j] = MathF.FusedMultiplyAdd(a, b[j], sum[j]);
    }

    private static void ScaleC(float* c, nint ldc, int m, int n, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    private readonly record struct PartitionPlan(int Parts, bool SplitN, int Tiles, int Chunks);

    private readonly struct Job(float* a, int lda, float* b, int ldb, float* c, int ldc, int m, int n, int k,
        float alpha, float beta, bool transA, bool transB, PartitionPlan plan)
    {
        public readonly float* A = a, B = b, C = c;
        public readonly int Lda = lda, Ldb = ldb, Ldc = ldc, M = m, N = n, K = k;
        public readonly float Alpha = alpha, Beta = beta;
        public readonly bool TransA = transA, TransB = transB;
        public readonly PartitionPlan Plan = plan;
    }

    /// <summary>
    /// Splits the work into bands of whole tiles along n or m. Splitting n makes every thread pack
    /// all of A, splitting m makes every thread pack all of B; the cheaper option in
    /// (tile FLOPs on the busiest thread + duplicated packing) wins.
    /// </summary>
    private PartitionPlan Plan(int m, int n, int k)
    {
        int mTiles = (m + _mr - 1) / _mr, nTiles = (n + _nr - 1) / _nr;
        // Below ~4 MFLOP the fork/join costs more than a second core saves.
        if (Threads == 1 || 2.0 * m * n * k < 4e6) return new PartitionPlan(1, true, nTiles, 1);
        int pn = Math.Min(Threads, nTiles), pm = Math.Min(Threads, mTiles);
        // One packed element costs about as much as one cycle of FMAs (64 flops with AVX-512).
        const double packCost = 64;
        double costN = 2.0 * k * ((nTiles + pn - 1) / pn * _nr) * (mTiles * _mr) + packCost * k * ((double)m + (nTiles + pn - 1) / pn * _nr);
        double costM = 2.0 * k * ((mTiles + pm - 1) / pm * _mr) * (nTiles * _nr) + packCost * k * ((double)n + (mTiles + pm - 1) / pm * _mr);
        bool splitN = costN <= costM;
        int parts = splitN ? pn : pm, tiles = splitN ? nTiles : mTiles;
        // More chunks than threads let a thread that was not preempted take over the rest (the
        // machine is shared); each extra chunk re-packs the whole other operand, so allow only as
        // many as keep that under ~2% of the FLOPs.
        double dupPack = packCost * k * (double)(splitN ? m : n);
        int affordable = (int)Math.Min(int.MaxValue, 0.02 * 2.0 * m * n * k / dupPack);
        int chunks = Math.Clamp(affordable, parts, Math.Min(tiles, parts * 4));
        return new PartitionPlan(parts, splitN, tiles, chunks);
    }

    private void RunPart(int part)
    {
        ref readonly var job = ref _job;
        var plan = job.Plan;
        // Which thread computes a chunk does not change any element's arithmetic, so handing chunks
        // out first-come keeps results bitwise identical.
        int chunk;
        while ((chunk = Interlocked.Increment(ref _nextChunk) - 1) < plan.Chunks)
        {
            int t0 = (int)((long)plan.Tiles * chunk / plan.Chunks), t1 = (int)((long)plan.Tiles * (chunk + 1) / plan.Chunks);
            int r0 = 0, r1 = job.M, c0 = 0, c1 = job.N;
            if (plan.SplitN) { c0 = t0 * _nr; c1 = Math.Min(job.N, t1 * _nr); }
            else { r0 = t0 * _mr; r1 = Math.Min(job.M, t1 * _mr); }
            if (r0 < r1 && c0 < c1) Compute(in job, _workspaces[part], r0, r1, c0, c1);
        }
    }

    private void Compute(in Job job, Workspace ws, int r0, int r1, int c0, int c1)
    {
        int mr = _mr, nr = _nr, k = job.K;
        // Equal blocks rather than max-size blocks plus a sliver: the sum order still depends only on k.
        int kBlocks = DepthBlockCount(k);
        int rows = r1 - r0, cols = c1 - c0;
        int mBlocks = (rows + _mcMax - 1) / _mcMax, nBlocks = (cols + _ncMax - 1) / _ncMax;
        int mcMax = RoundUp((rows + mBlocks - 1) / mBlocks, mr), ncMax = RoundUp((cols + nBlocks - 1) / nBlocks, nr);
        int kcMax = (k + kBlocks - 1) / kBlocks;
        float* pa = ws.EnsureA((long)mcMax * kcMax + 16);
        float* pb = ws.EnsureB((long)ncMax * kcMax + 32);
        float* tile = ws.Tile;
        var kernel = _kernel;
        var simd = Simd;
        // For op(A): r = row i; stored depth-contiguous when A is not transposed.
        // For op(B): r = column j; stored depth-contiguous when B is transposed.
        bool aDepthContiguous = !job.TransA, bDepthContiguous = job.TransB;

        // pc -> ic -> jc: the A block is packed once per (kc, mc) block and reused across all of
        // this thread's columns; only the smaller kc x nc B block is re-packed per jc.
        for (int kb = 0; kb < kBlocks; kb++)
        {
            int pc = DepthBlockStart(k, kBlocks, kb), kc = DepthBlockStart(k, kBlocks, kb + 1) - pc;
            float beta = kb == 0 ? job.Beta : 1f;
            for (int ic = r0; ic < r1; ic += mcMax)
            {
                int mc = Math.Min(mcMax, r1 - ic);
                GemmPacking.Pack(job.A, job.Lda, aDepthContiguous, ic, mc, job.M, pc, kc, mr, pa, simd);
                for (int jc = c0; jc < c1; jc += ncMax)
                {
                    int nc = Math.Min(ncMax, c1 - jc);
                    GemmPacking.Pack(job.B, job.Ldb, bDepthContiguous, jc, nc, job.N, pc, kc, nr, pb, simd);
                    if (_rowsOuter) TilesRowsOuter(in job, pa, pb, tile, kernel, ic, mc, jc, nc, kc, beta);
                    else TilesColumnsOuter(in job, pa, pb, tile, kernel, ic, mc, jc, nc, kc, beta);
                }
            }
        }
    }

    private void TilesColumnsOuter(in Job job, float* pa, float* pb, float* tile,
        delegate*<float*, float*, int, float*, nint, float, float, void> kernel, int ic, int mc, int jc, int nc, int kc, float beta)
    {
        int mr = _mr, nr = _nr;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int nTile = Math.Min(nr, nc - jr);
            float* bp = pb + (nint)(jr / nr) * kc * nr;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int mTile = Math.Min(mr, mc - ir);
                float* ap = pa + (nint)(ir / mr) * kc * mr;
                float* cp = job.C + jc + jr + (nint)(ic + ir) * job.Ldc;
                RunTile(kernel, ap, bp, kc, cp, job.Ldc, job.Alpha, beta, tile, mTile, nTile);
            }
        }
    }

    private void TilesRowsOuter(in Job job, float* pa, float* pb, float* tile,
        delegate*<float*, float*, int, float*, nint, float, float, void> kernel, int ic, int mc, int jc, int nc, int kc, float beta)
    {
        int mr = _mr, nr = _nr;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int mTile = Math.Min(mr, mc - ir);
            float* ap = pa + (nint)(ir / mr) * kc * mr;
            float* cRow = job.C + jc + (nint)(ic + ir) * job.Ldc;
            for (int jr = 0; jr < nc; jr += nr)
            {
                int nTile = Math.Min(nr, nc - jr);
                float* bp = pb + (nint)(jr / nr) * kc * nr;
                RunTile(kernel, ap, bp, kc, cRow + jr, job.Ldc, job.Alpha, beta, tile, mTile, nTile);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RunTile(delegate*<float*, float*, int, float*, nint, float, float, void> kernel, float* ap, float* bp, int kc,
        float* cp, nint ldc, float alpha, float beta, float* tile, int mTile, int nTile)
    {
        if (nTile <= _nr / 2 && _halfKernel != null) kernel = _halfKernel;
        if (mTile == _mr && (nTile == _nr || (nTile == _nr / 2 && kernel == _halfKernel))) kernel(ap, bp, kc, cp, ldc, alpha, beta);
        else
        {
            // Edge tile: same kernel into a scratch tile, then the same merge arithmetic as the
            // kernel's store, restricted to the valid part.
            kernel(ap, bp, kc, tile, _nr, 1f, 0f);
            MergeTile(tile, _nr, cp, ldc, mTile, nTile, alpha, beta);
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    private static void MergeTile(float* tile, int tileLd, float* c, nint ldc, int rows, int cols, float alpha, float beta)
    {
        for (int i = 0; i < rows; i++)
        {
            float* t = tile + i * tileLd, ci = c + i * ldc;
            if (beta == 0f) for (int j = 0; j < cols; j++) ci[j] = alpha * t[j];
            else for (int j = 0; j < cols; j++) ci[j] = MathF.FusedMultiplyAdd(ci[j], beta, alpha * t[j]);
        }
    }

    /// <summary>Portable 4 x 4 kernel for <see cref="SimdLevel.Scalar"/>; same packing and blocking as the vector paths.</summary>
    private static void ScalarKernel4x4(float* a, float* b, int kc, float* c, nint ldc, float alpha, float beta)
    {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++, a += 4, b += 4)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        Row(c, alpha, beta, c00, c01, c02, c03);
        Row(c + ldc, alpha, beta, c10, c11, c12, c13);
        Row(c + 2 * ldc, alpha, beta, c20, c21, c22, c23);
        Row(c + 3 * ldc, alpha, beta, c30, c31, c32, c33);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Row(float* r, float alpha, float beta, float x0, float x1, float x2, float x3)
        {
            if (beta == 0f) { r[0] = alpha * x0; r[1] = alpha * x1; r[2] = alpha * x2; r[3] = alpha * x3; }
            else
            {
                r[0] = MathF.FusedMultiplyAdd(r[0], beta, alpha * x0); r[1] = MathF.FusedMultiplyAdd(r[1], beta, alpha * x1);
                r[2] = MathF.FusedMultiplyAdd(r[2], beta, alpha * x2); r[3] = MathF.FusedMultiplyAdd(r[3], beta, alpha * x3);
            }
        }
    }

    /// <summary>Per-thread packing buffers on the pinned heap, 64-byte aligned, grown on demand and then reused.</summary>
    private sealed class Workspace(int tileFloats)
    {
        private float[]? _a, _b;
        private float* _pa, _pb;
        private long _aCap, _bCap;
        private readonly float[] _tile = GC.AllocateArray<float>(tileFloats + 16, pinned: true);

        public float* Tile => Align((float*)Unsafe.AsPointer(ref _tile[0]));

        public float* EnsureA(long floats) { if (floats > _aCap) Grow(ref _a, ref _pa, ref _aCap, floats); return _pa; }
        public float* EnsureB(long floats) { if (floats > _bCap) Grow(ref _b, ref _pb, ref _bCap, floats); return _pb; }

        private static void Grow(ref float[]? array, ref float* ptr, ref long cap, long floats)
        {
            array = GC.AllocateUninitializedArray<float>(checked((int)(floats + 16)), pinned: true);
            ptr = Align((float*)Unsafe.AsPointer(ref array[0]));
            cap = floats;
        }

        private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);
    }
}
