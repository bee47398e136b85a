using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace VaeCf.Numerics;

/// <summary>
/// B (k x n) packed once for many products A · B with few rows of A, as BLAS's sgemm_pack /
/// sgemm_compute: <see cref="GemmEngine.Multiply"/> packs B on every call, which for one to a few
/// dozen rows of A costs far more than the product (a server scoring a user against a 20k-item
/// output layer). Made by <see cref="GemmEngine.PackB"/>, used by
/// <see cref="GemmEngine.MultiplyPacked"/>; AVX-512 only (<see cref="GemmEngine.SupportsPackedB"/>).
/// <para>
/// B is stored in 32-column panels (the 14 x 32 kernel's width), each k x 32, zero-padded past the
/// last column, and streamed once per call while A's rows reuse each panel from cache. The
/// arithmetic is the engine's for the same product: k cut into the engine's depth blocks, each
/// block one FMA chain in depth order, the blocks' sums added in order from the first block's. So
/// C equals <see cref="GemmEngine.Multiply"/>'s bit for bit.
/// </para>
/// <para>
/// An affine layer [h, 1] · [W; b] can pass h alone (A one column short, the missing last column
/// taken as ones): the bias row then ends the chain of the block that holds it, as multiplying it
/// by one would. One caller at a time per instance (the packed rows of A are reused).
/// </para>
/// </summary>
public sealed unsafe class PackedB
{
    private const int Width = GemmEngine.Avx512TileColumns;
    private const int TileRows = GemmEngine.Avx512TileRows; // the engine's register tile: 14 x 32 outputs in 28 registers
    private const int PaddedTileMinRows = 5;
    private const int SmallTileRows = 8; // a last tile of 5 to 8 rows runs the 8 x 32 kernel, not a padded 14 x 32 one
    private const int PartsPerThread = 6;
    private const int PanelChunk = 8; // panels a tile sweeps while its micro-panel sits in L1; this chunk and the next fit L2
    private readonly float[] _panels; // panel q: depth x Width, zero-padded past the last column
    private readonly int[] _blockStarts; // over [0, depth), as the engine cuts that product
    private readonly int _depth, _columns, _panelCount, _threads;
    private float[] _packedRows = []; // grows to the largest A; one caller at a time

    /// <summary>B's rows (the product's depth k).</summary>
    public int Depth => _depth;
    /// <summary>B's columns (C's width n).</summary>
    public int Columns => _columns;

    internal PackedB(ReadOnlySpan<float> b, int k, int n, int ldb, int[] blockStarts, int threads)
    {
        _depth = k;
        _columns = n;
        _threads = Math.Max(1, threads);
        _panelCount = (n + Width - 1) / Width;
        _blockStarts = blockStarts;
        _panels = GC.AllocateArray<float>(checked(_panelCount * k * Width), pinned: true);
        for (int q = 0; q < _panelCount; q++)
            for (int p = 0; p < k; p++)
            {
                var source = b.Slice(p * ldb, n);
                for (int j = 0; j < Width && q * Width + j < n; j++)
                    _panels[((long)q * k + p) * Width + j] = source[q * Width + j];
            }
    }

    /// <summary>C[m x n] = A · B, overwriting C; A is m x k, or m x (k - 1) with <paramref name="onesColumn"/>.</summary>
    internal void Multiply(int m, ReadOnlySpan<float> a, int lda, Span<float> c, int ldc, bool onesColumn)
    {
        int aColumns = onesColumn ? _depth - 1 : _depth;
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), "Row count must be non-negative.");
        if (m == 0 || _columns == 0) return;
        if (lda < aColumns || ldc < _columns) throw new ArgumentException("A leading dimension is smaller than its row.");
        if ((long)(m - 1) * lda + aColumns > a.Length || (long)(m - 1) * ldc + _columns > c.Length) throw new ArgumentException("Buffers too small for the product.");
        // Whole 14-row tiles run the GEMM kernel; a remainder of 5 or more rows too, zero-padded to
        // a whole tile (idle rows there cost less than the narrower kernels' lower FMA throughput).
        int rows = m, tiles = rows / TileRows, partialRows = rows % TileRows >= PaddedTileMinRows ? rows % TileRows : 0;
        fixed (float* pa = a, pc = c)
        {
            if (tiles > 0 || partialRows > 0) PackRowTiles(pa, lda, aColumns, tiles, partialRows);
            fixed (float* packedRows = _packedRows)
            {
                nint aAddress = (nint)pa, cAddress = (nint)pc, packedAddress = (nint)packedRows;
                long work = (long)rows * _depth * _columns;
                if (work < 2_000_000 || _threads == 1)
                    Panels(0, _panelCount, pa, lda, aColumns, packedRows, tiles, partialRows, rows, pc, ldc);
                else
                {
                    // Several parts per thread, taken first-come: in a busy server the pool worker often
                    // joins late (its queue holds HTTP work), and with one part per thread the caller
                    // would then finish alone after its own half; with small parts it keeps taking parts
                    // until the worker arrives, and the pass never waits for a worker that has not started.
                    int parts = Math.Min(_threads * PartsPerThread, (_panelCount + PanelChunk - 1) / PanelChunk);
                    Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = _threads }, part =>
                        Panels(PartStart(part, parts), PartStart(part + 1, parts), (float*)aAddress, lda, aColumns, (float*)packedAddress,
                            tiles, partialRows, rows, (float*)cAddress, ldc));
                }
            }
        }
    }

    /// <summary>First panel of a part: parts are whole chunks, the unit <see cref="WholeTiles"/> sweeps.</summary>
    private int PartStart(int part, int parts)
    {
        int chunks = (_panelCount + PanelChunk - 1) / PanelChunk;
        return Math.Min(_panelCount, (int)((long)chunks * part / parts) * PanelChunk);
    }

    /// <summary>
    /// Rows in the GEMM kernel's A layout: per tile of h rows, depth x h with the row index
    /// fastest (and a last depth step of ones when A lacks that column), so each depth block of a tile
    /// is one contiguous micro-panel. Tiles start 14 x depth floats apart; a partial last
    /// tile is zero-padded (ones included) to its kernel's height.
    /// </summary>
    private void PackRowTiles(float* a, int lda, int aColumns, int tiles, int partialRows)
    {
        int tileLength = TileRows * _depth, needed = (tiles + (partialRows > 0 ? 1 : 0)) * tileLength;
        if (_packedRows.Length < needed) _packedRows = GC.AllocateArray<float>(needed, pinned: true);
        for (int t = 0; t * tileLength < needed; t++)
        {
            int rowsHere = t < tiles ? TileRows : partialRows, height = KernelRows(rowsHere);
            var panel = _packedRows.AsSpan(t * tileLength, height * _depth);
            if (rowsHere < height) panel.Clear();
            for (int i = 0; i < rowsHere; i++)
            {
                float* row = a + (long)(t * TileRows + i) * lda;
                for (int p = 0; p < aColumns; p++) panel[p * height + i] = row[p];
                if (aColumns < _depth) panel[aColumns * height + i] = 1f;
            }
        }
    }

    /// <summary>
    /// Rows the kernel for a tile of <paramref name="rowsInTile"/> rows computes: 14, or 8 for a
    /// (last) tile of up to 8 rows (a 64-row batch is four tiles of 14 and one of 8, where padding
    /// the last to 14 computed 70 rows). Every row's sums are the same FMA chains whatever the height.
    /// </summary>
    private static int KernelRows(int rowsInTile) => rowsInTile <= SmallTileRows ? SmallTileRows : TileRows;

    private void Panels(int q0, int q1, float* a, nint lda, int aColumns, float* packedRows, int tiles, int partialRows, int rows, float* c, nint ldc)
    {
        float* scratch = stackalloc float[TileRows * Width]; // also four panels' worth for Row1x4
        int fullPanels = _columns / Width; // panels before this index hold Width real items
        fixed (float* panels = _panels)
        {
            for (int q = q0; q < q1;)
            {
                if (rows < 4 && q + 4 <= q1 && q + 4 <= fullPanels)
                {
                    // Too few rows to hide the FMA latency with one panel: take four at once (8 chains).
                    float* b4 = panels + (long)q * _depth * Width;
                    for (int r = 0; r < rows; r++)
                    {
                        Row1x4(a + r * lda, aColumns, b4, scratch);
                        new ReadOnlySpan<float>(scratch, 4 * Width).CopyTo(new Span<float>(c + r * ldc + q * Width, 4 * Width));
                    }
                    q += 4;
                    continue;
                }
                int chunkEnd = Math.Min(q1, q + PanelChunk), directEnd = Math.Min(chunkEnd, fullPanels);
                if (tiles > 0 && directEnd > q) WholeTiles(packedRows, tiles, panels, q, directEnd, c, ldc);
                for (int p = q; p < chunkEnd; p++)
                {
                    float* b = panels + (long)p * _depth * Width;
                    int col = p * Width, valid = Math.Min(Width, _columns - col);
                    // Tiles the direct pass did not write: all of them on the partial last panel, then the padded one.
                    for (int t = p < directEnd ? tiles : 0; t < tiles; t++) ScratchTile(packedRows, t, TileRows, b, c + col, ldc, valid, scratch);
                    int r = tiles * TileRows;
                    if (partialRows > 0)
                    {
                        ScratchTile(packedRows, tiles, partialRows, b, c + col, ldc, valid, scratch);
                        r += partialRows;
                    }
                    for (; r + 4 <= rows; r += 4)
                    {
                        Rows4(a + r * lda, lda, aColumns, b, scratch);
                        StoreRows(scratch, 4, c + r * ldc + col, ldc, valid);
                    }
                    for (; r < rows; r++)
                    {
                        Row1(a + r * lda, aColumns, b, scratch);
                        StoreRows(scratch, 1, c + r * ldc + col, ldc, valid);
                    }
                }
                q = chunkEnd;
            }
        }
    }

    /// <summary>
    /// Whole 14-row tiles against whole panels [q0, q1) with the GEMM engine's own 14 x 32 kernel,
    /// called per depth block as the engine calls it (beta 0 for the first block, 1 after), so the
    /// sums are the engine's. The loops are the engine's too: a tile's micro-panel stays in L1 while
    /// the chunk's panels (about 1.2 MB at 600 hidden units) stream from L2, which they entered from
    /// memory, in order, for the first tile.
    /// </summary>
    private void WholeTiles(float* packedRows, int tiles, float* panels, int q0, int q1, float* c, nint ldc)
    {
        int tileLength = TileRows * _depth;
        long panelLength = (long)_depth * Width;
        for (int blk = 0; blk + 1 < _blockStarts.Length; blk++)
        {
            int p0 = _blockStarts[blk], kc = _blockStarts[blk + 1] - p0;
            float beta = blk == 0 ? 0f : 1f;
            // Each call prefetches kc lines (half a block: a block row is two lines) of the same
            // block of the panel PanelChunk ahead, the tiles staggered over it, so with two or more
            // tiles the next chunk is in L2 when its first tile needs it; a single tile fetches half.
            // The panel ahead may belong to the next part (another thread): harmless, it is only a hint,
            // and past the last panel the hint points at the current one.
            long stagger = (long)kc * Width / Math.Max(1, tiles);
            for (int t = 0; t < tiles; t++)
            {
                float* micro = packedRows + (long)t * tileLength + p0 * TileRows;
                float* cRow = c + t * TileRows * ldc;
                for (int q = q0; q < q1; q++)
                {
                    float* b = panels + q * panelLength + p0 * Width;
                    float* ahead = q + PanelChunk < _panelCount ? b + PanelChunk * panelLength + t * stagger : b;
                    GemmKernels.Avx512_14x32Ahead(micro, b, kc, cRow + q * Width, ldc, 1f, beta, ahead);
                }
            }
        }
    }

    /// <summary>
    /// Packed tile <paramref name="t"/> against one panel through a scratch tile, writing only its
    /// first <paramref name="rowsHere"/> rows and <paramref name="valid"/> columns: for the padded
    /// tile and the partial last panel.
    /// </summary>
    private void ScratchTile(float* packedRows, int t, int rowsHere, float* b, float* c, nint ldc, int valid, float* scratch)
    {
        float* micro = packedRows + (long)t * TileRows * _depth;
        bool small = KernelRows(rowsHere) == SmallTileRows;
        for (int blk = 0; blk + 1 < _blockStarts.Length; blk++)
        {
            int p0 = _blockStarts[blk], kc = _blockStarts[blk + 1] - p0;
            if (small) GemmKernels.Avx512_8x32(micro + p0 * SmallTileRows, b + p0 * Width, kc, scratch, Width, 1f, blk == 0 ? 0f : 1f);
            else GemmKernels.Avx512_14x32(micro + p0 * TileRows, b + p0 * Width, kc, scratch, Width, 1f, blk == 0 ? 0f : 1f);
        }
        StoreRows(scratch, rowsHere, c + t * TileRows * ldc, ldc, valid);
    }

    /// <summary>The first <paramref name="valid"/> columns of <paramref name="count"/> scratch rows into consecutive output rows.</summary>
    private static void StoreRows(float* scratch, int count, float* c, nint ldc, int valid)
    {
        for (int i = 0; i < count; i++)
            new ReadOnlySpan<float>(scratch + i * Width, valid).CopyTo(new Span<float>(c + i * ldc, valid));
    }

    // The narrow paths below read rows of the unpacked A (aColumns wide). Where A lacks its last
    // column of ones, a block that reaches past A's last column ends its chain with B's last row,
    // which is what multiplying that row by one adds (fma(1, b, s) == s + b).

    /// <summary>Four rows against one panel; each output's chain is the one <see cref="Row1"/> computes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a server's first requests run the optimized code, not tier 0
    private void Rows4(float* a, nint lda, int aColumns, float* b, float* tile)
    {
        int depth = aColumns;
        float* biasRow = b + (long)depth * Width;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int blk = 0; blk + 1 < _blockStarts.Length; blk++)
        {
            Vector512<float> s00 = default, s01 = default, s10 = default, s11 = default, s20 = default, s21 = default, s30 = default, s31 = default;
            int end = _blockStarts[blk + 1], stop = Math.Min(end, depth);
            for (int p = _blockStarts[blk]; p < stop; p++)
            {
                var b0 = Vector512.Load(b + p * Width);
                var b1 = Vector512.Load(b + p * Width + 16);
                var a0 = Vector512.Create(a[p]);
                s00 = Vector512.FusedMultiplyAdd(a0, b0, s00); s01 = Vector512.FusedMultiplyAdd(a0, b1, s01);
                var a1 = Vector512.Create(a[lda + p]);
                s10 = Vector512.FusedMultiplyAdd(a1, b0, s10); s11 = Vector512.FusedMultiplyAdd(a1, b1, s11);
                var a2 = Vector512.Create(a[2 * lda + p]);
                s20 = Vector512.FusedMultiplyAdd(a2, b0, s20); s21 = Vector512.FusedMultiplyAdd(a2, b1, s21);
                var a3 = Vector512.Create(a[3 * lda + p]);
                s30 = Vector512.FusedMultiplyAdd(a3, b0, s30); s31 = Vector512.FusedMultiplyAdd(a3, b1, s31);
            }
            if (end > depth)
            {
                var bias0 = Vector512.Load(biasRow); var bias1 = Vector512.Load(biasRow + 16);
                s00 += bias0; s01 += bias1; s10 += bias0; s11 += bias1; s20 += bias0; s21 += bias1; s30 += bias0; s31 += bias1;
            }
            if (blk == 0) (c00, c01, c10, c11, c20, c21, c30, c31) = (s00, s01, s10, s11, s20, s21, s30, s31);
            else { c00 += s00; c01 += s01; c10 += s10; c11 += s11; c20 += s20; c21 += s21; c30 += s30; c31 += s31; }
        }
        c00.Store(tile); c01.Store(tile + 16);
        c10.Store(tile + Width); c11.Store(tile + Width + 16);
        c20.Store(tile + 2 * Width); c21.Store(tile + 2 * Width + 16);
        c30.Store(tile + 3 * Width); c31.Store(tile + 3 * Width + 16);
    }

    /// <summary>One row against four consecutive panels; each output's chain is the one <see cref="Row1"/> computes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Row1x4(float* a, int aColumns, float* b, float* tile)
    {
        int depth = aColumns;
        long stride = (long)_depth * Width;
        float* b1p = b + stride, b2p = b + 2 * stride, b3p = b + 3 * stride;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int blk = 0; blk + 1 < _blockStarts.Length; blk++)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            int end = _blockStarts[blk + 1], stop = Math.Min(end, depth);
            for (int p = _blockStarts[blk]; p < stop; p++)
            {
                var a0 = Vector512.Create(a[p]);
                int o = p * Width;
                s0 = Vector512.FusedMultiplyAdd(a0, Vector512.Load(b + o), s0);
                s1 = Vector512.FusedMultiplyAdd(a0, Vector512.Load(b + o + 16), s1);
                s2 = Vector512.FusedMultiplyAdd(a0, Vector512.Load(b1p + o), s2);
                s3 = Vector512.FusedMultiplyAdd(a0, Vector512.Load(b1p + o + 16), s3);
                s4 = Vector512.FusedMultiplyAdd(a0, Vector512.Load(b2p + o), s4);
                s5 = Vector512.FusedMultiplyAdd(a0, Vector512.Load(b2p + o + 16), s5);
                s6 = Vector512.FusedMultiplyAdd(a0, Vector512.Load(b3p + o), s6);
                s7 = Vector512.FusedMultiplyAdd(a0, Vector512.Load(b3p + o + 16), s7);
            }
            if (end > depth)
            {
                int o = depth * Width;
                s0 += Vector512.Load(b + o); s1 += Vector512.Load(b + o + 16);
                s2 += Vector512.Load(b1p + o); s3 += Vector512.Load(b1p + o + 16);
                s4 += Vector512.Load(b2p + o); s5 += Vector512.Load(b2p + o + 16);
                s6 += Vector512.Load(b3p + o); s7 += Vector512.Load(b3p + o + 16);
            }
            if (blk == 0) (c0, c1, c2, c3, c4, c5, c6, c7) = (s0, s1, s2, s3, s4, s5, s6, s7);
            else { c0 += s0; c1 += s1; c2 += s2; c3 += s3; c4 += s4; c5 += s5; c6 += s6; c7 += s7; }
        }
        c0.Store(tile); c1.Store(tile + 16); c2.Store(tile + 32); c3.Store(tile + 48);
        c4.Store(tile + 64); c5.Store(tile + 80); c6.Store(tile + 96); c7.Store(tile + 112);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Row1(float* a, int aColumns, float* b, float* tile)
    {
        int depth = aColumns;
        Vector512<float> c0 = default, c1 = default;
        for (int blk = 0; blk + 1 < _blockStarts.Length; blk++)
        {
            Vector512<float> s0 = default, s1 = default;
            int end = _blockStarts[blk + 1], stop = Math.Min(end, depth);
            for (int p = _blockStarts[blk]; p < stop; p++)
            {
                var a0 = Vector512.Create(a[p]);
                s0 = Vector512.FusedMultiplyAdd(a0, Vector512.Load(b + p * Width), s0);
                s1 = Vector512.FusedMultiplyAdd(a0, Vector512.Load(b + p * Width + 16), s1);
            }
            if (end > depth)
            {
                s0 += Vector512.Load(b + depth * Width);
                s1 += Vector512.Load(b + depth * Width + 16);
            }
            if (blk == 0) (c0, c1) = (s0, s1);
            else { c0 += s0; c1 += s1; }
        }
        c0.Store(tile); c1.Store(tile + 16);
    }
}
