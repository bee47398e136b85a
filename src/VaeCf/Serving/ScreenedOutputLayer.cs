using System.Runtime.CompilerServices;
using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Numerics;

namespace VaeCf.Serving;

/// <summary>
/// The exact top k of the output layer, without every item's exact score. A server asks for the
/// best 100 of 20,000 items, and the fp32 output layer (12M multiply-adds per request) is most of
/// a request's cost; an 8-bit copy of the weights gives every item's score to within a bound that
/// is proved, not estimated, at a quarter of the memory traffic (AVX-VNNI: 32 byte products per
/// instruction against 16 fp32 ones; without it, AVX-512BW: 64 byte products in three
/// instructions). Only the items whose upper bound reaches the k-th best lower bound (a few
/// hundred) are then scored exactly, with the evaluator's own arithmetic, so the answer (items,
/// order, scores) is the one full scoring gives.
/// <para>
/// The bound, per item j, for the hidden row h (quantized per row to bytes, ĥ = lo + step·u,
/// δ = h − ĥ) and per-item weights W_j = s_j·q_j + r_j (q_j signed bytes):
/// h·W_j = s_j·(step·u·q_j + lo·Σq_j) + ĥ·r_j + δ·W_j, with |ĥ·r_j| ≤ ‖ĥ‖·‖r_j‖ and
/// |δ·W_j| ≤ ‖δ‖·‖W_j‖ (Cauchy–Schwarz), plus the fp32 rounding of the exact score,
/// at most γ·(max|h|·‖W_j‖₁ + |b_j|). The integer part is exact (int32 sums of byte products);
/// the rest is evaluated in double and widened by more than its own rounding.
/// </para>
/// </summary>
internal sealed unsafe class ScreenedOutputLayer
{
    private const int Width = 32; // items per panel: four 8-lane int32 accumulators
    private const int Group = 4; // depth steps one VNNI lane sums
    private const int RowTile = 4;
    private const int PartsPerThread = 4;
    /// <summary>Screening pays when k is a small share of the catalogue; beyond it full scoring is as cheap.</summary>
    private const int MinItemsPerK = 16;
    /// <summary>
    /// Up to this many rows per pass screening wins: the fp32 layer then streams 4 bytes per weight
    /// for few rows, the screen 1. With more rows the fp32 layer reuses each weight across rows
    /// while exact rescoring fetches a few hundred items' weights per row. At ML-20M size on the
    /// dev VM (whole batch call, medians of calls alternating between the two paths): 1 row 1.25 ms
    /// against 2.25, 8 rows 3.2 against 4.3, 16 rows 5.3 against 5.65, 24 rows 8.5 against 8.1,
    /// 32 rows 10.3 against 8.7.
    /// </summary>
    public const int MaxRows = 16;

    private readonly int _depth, _items, _groups, _panelCount, _threads;
    private readonly sbyte[] _panels; // panel q: groups x Width x Group bytes, item-major within a group
    private readonly double[] _scale, _columnSum, _residualNorm, _weightNorm, _absoluteSum;
    private readonly float[] _transposed; // items x depth: an item's weights contiguous, for exact rescoring
    private readonly float[] _bias;
    private readonly int[] _blockStarts; // over [0, depth + 1), the GEMM engine's blocks of the output product
    private readonly double _rounding; // γ for an fp32 sum over depth + 1 terms in a few blocks
    private readonly bool _vnni;
    private readonly int _codeLevels; // hidden codes run 0.._codeLevels
    // Per pass (one caller at a time, as for the packed layer); rows are then read in parallel.
    private byte[] _quantized = [];
    private int[] _dots = [];
    private RowQuantization[] _rowScales = [];

    private ScreenedOutputLayer(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int depth, int items, int[] blockStarts, int threads, bool vnni)
    {
        _vnni = vnni;
        // AVX-VNNI sums u8·s8 products straight into int32, so codes use all 8 bits. AVX-512BW's
        // vpmaddubsw adds two of them into an int16 and saturates, so there codes stop at 127
        // (2·127·127 < 2^15): the hidden row's step doubles, the bound's δ term with it.
        _codeLevels = vnni ? 255 : 127;
        _depth = depth;
        _items = items;
        _threads = Math.Max(1, threads);
        _groups = (depth + Group - 1) / Group;
        _panelCount = (items + Width - 1) / Width;
        _panels = GC.AllocateArray<sbyte>(checked(_panelCount * _groups * Width * Group), pinned: true);
        _transposed = GC.AllocateArray<float>(checked(items * depth), pinned: true);
        _scale = new double[items];
        _columnSum = new double[items];
        _residualNorm = new double[items];
        _weightNorm = new double[items];
        _absoluteSum = new double[items];
        _bias = bias[..items].ToArray();
        // Row-major passes over W (depth x items): per-item scales first, then codes and sums.
        var max = new double[items];
        for (int p = 0; p < depth; p++)
        {
            var row = weight.Slice(p * items, items);
            for (int j = 0; j < items; j++) max[j] = Math.Max(max[j], Math.Abs((double)row[j]));
        }
        for (int j = 0; j < items; j++) _scale[j] = max[j] > 0 ? max[j] / 127 : 1;
        var residual = new double[items];
        var squares = new double[items];
        for (int p = 0; p < depth; p++)
        {
            var row = weight.Slice(p * items, items);
            long groupOffset = (long)(p / Group) * Width * Group + p % Group;
            for (int j = 0; j < items; j++)
            {
                double w = row[j], scale = _scale[j];
                int q = (int)Math.Clamp(Math.Round(w / scale), -127, 127);
                _panels[(long)(j / Width) * _groups * Width * Group + groupOffset + (j % Width) * Group] = (sbyte)q;
                _transposed[(long)j * depth + p] = (float)w;
                double r = w - scale * q;
                _columnSum[j] += q;
                residual[j] += r * r;
                squares[j] += w * w;
                _absoluteSum[j] += Math.Abs(w);
            }
        }
        for (int j = 0; j < items; j++)
        {
            // Square roots and sums rounded up a little: the bounds must hold, not just nearly; the
            // residual's absolute term covers the rounding of s·q.
            _residualNorm[j] = Math.Sqrt(residual[j]) * (1 + 1e-12) + 1e-14 * max[j] * Math.Sqrt(depth);
            _weightNorm[j] = Math.Sqrt(squares[j]) * (1 + 1e-12);
            _absoluteSum[j] *= 1 + 1e-12;
        }
        _blockStarts = blockStarts;
        int blocks = blockStarts.Length - 1;
        // Rounding of a sum of n products by FMA chains and block merges: below n·u/(1 − n·u)
        // times the sum of magnitudes (u = 2^-24); n counts the terms and the merges, doubled for margin.
        double n = 2.0 * (depth + 1 + blocks);
        _rounding = n * Math.ScaleB(1, -24) / (1 - n * Math.ScaleB(1, -24));
    }

    /// <summary>Whether this CPU has the 8-bit products the screen needs (AVX-VNNI, or AVX-512BW's slower form).</summary>
    public static bool Supported => Avx512F.IsSupported && (AvxVnni.IsSupported || Avx512BW.IsSupported);

    /// <summary>
    /// Null where the CPU lacks AVX-512 (the packed layer's arithmetic) or both AVX-VNNI and
    /// AVX-512BW (the 8-bit products), or where a weight is not finite (no bound can hold).
    /// <paramref name="useVnni"/> false forces the AVX-512BW products (tests run both where both exist).
    /// </summary>
    public static ScreenedOutputLayer? TryCreate(AutoencoderNetwork network, bool? useVnni = null)
    {
        if (!network.Gemm.SupportsPackedB || !Supported) return null;
        bool vnni = useVnni ?? AvxVnni.IsSupported;
        if (vnni && !AvxVnni.IsSupported) throw new PlatformNotSupportedException("AVX-VNNI is not supported by this processor.");
        int last = network.LayerCount - 1;
        var (inputs, outputs) = network.Shapes[last];
        var weight = network.Parameters.View(network.WeightSlot(last));
        var bias = network.Parameters.View(network.BiasSlot(last));
        foreach (float w in weight) if (!float.IsFinite(w) || Math.Abs(w) > 1e15f) return null;
        foreach (float b in bias) if (!float.IsFinite(b) || Math.Abs(b) > 1e15f) return null;
        return new ScreenedOutputLayer(weight, bias, inputs, outputs, network.Gemm.DepthBlockStarts(inputs + 1), network.Gemm.Threads, vnni);
    }

    /// <summary>Whether screening pays for <paramref name="rows"/> rows with a top <paramref name="k"/> each.</summary>
    public bool Suits(int rows, int k) => rows <= MaxRows && (long)k * MinItemsPerK <= _items;

    /// <summary>
    /// Quantizes the rows of <paramref name="hidden"/> (rows x depth, the output layer's input) and
    /// computes their 8-bit dot products with every item; <see cref="SelectTop"/> then answers each row.
    /// </summary>
    public void Screen(ReadOnlySpan<float> hidden, int rows)
    {
        int paddedRows = (rows + RowTile - 1) / RowTile * RowTile, rowBytes = _groups * Group, stride = _panelCount * Width;
        if (_quantized.Length < paddedRows * rowBytes) _quantized = GC.AllocateArray<byte>(paddedRows * rowBytes, pinned: true);
        if (_dots.Length < (long)paddedRows * stride) _dots = GC.AllocateArray<int>(checked(paddedRows * stride), pinned: true);
        if (_rowScales.Length < rows) _rowScales = new RowQuantization[paddedRows];
        Array.Clear(_quantized, 0, paddedRows * rowBytes);
        for (int r = 0; r < rows; r++) _rowScales[r] = Quantize(hidden.Slice(r * _depth, _depth), _quantized.AsSpan(r * rowBytes, rowBytes), _codeLevels);

        int parts = Math.Min(_threads * PartsPerThread, _panelCount);
        if (_threads == 1 || (long)paddedRows * _depth * _items < 2_000_000) DotPanels(0, _panelCount, rows);
        else
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = _threads },
                part => DotPanels((int)((long)_panelCount * part / parts), (int)((long)_panelCount * (part + 1) / parts), rows));
    }

    /// <summary>
    /// The top <paramref name="k"/> of <paramref name="row"/> (screened by <see cref="Screen"/>), never
    /// choosing <paramref name="excluded"/> columns: indices in rank order into <paramref name="top"/>,
    /// exact scores into <paramref name="scores"/>; returns how many were written, or -1 when this
    /// row cannot be screened (a non-finite input, fewer than k items left, or bounds too loose to
    /// prune), in which case the caller scores the row in full. Rows may be selected in parallel.
    /// </summary>
    public int SelectTop(int row, ReadOnlySpan<float> hidden, int k, ReadOnlySpan<int> excluded, ReadOnlySpan<int> alsoExcluded,
        Span<int> top, Span<float> scores, out int candidateCount)
    {
        candidateCount = 0;
        var quantization = _rowScales[row];
        if (!quantization.Finite) return -1;
        float[] lower = ArrayPool<float>.Shared.Rent(_items), upper = ArrayPool<float>.Shared.Rent(_items);
        int[] candidates = ArrayPool<int>.Shared.Rent(_items);
        float[] exact = ArrayPool<float>.Shared.Rent(_items);
        try
        {
            Bounds(row, quantization, lower, upper);
            foreach (int c in excluded) lower[c] = upper[c] = float.NegativeInfinity;
            foreach (int c in alsoExcluded) lower[c] = upper[c] = float.NegativeInfinity;
            // The k-th best lower bound: k items score at least this, so an item whose upper bound
            // is below it cannot be among the best k, whatever the ties.
            if (TopK.Select(lower.AsSpan(0, _items), k, top) < k) return -1;
            float threshold = lower[top[k - 1]];
            int count = candidateCount = Candidates(upper.AsSpan(0, _items), threshold, candidates);
            if (count > _items / 4) return -1;
            fixed (float* h = hidden) fixed (int* c = candidates) fixed (float* e = exact)
                ExactScores(h, c, count, e);
            // Candidates are in ascending item order, so the selection's ties break towards the lower item, as full scoring's do.
            int found = TopK.Select(exact.AsSpan(0, count), k, top);
            if (found < k) return -1;
            for (int i = 0; i < found; i++)
            {
                int position = top[i];
                scores[i] = exact[position];
                top[i] = candidates[position];
            }
            return found;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(lower);
            ArrayPool<float>.Shared.Return(upper);
            ArrayPool<int>.Shared.Return(candidates);
            ArrayPool<float>.Shared.Return(exact);
        }
    }

    private readonly record struct RowQuantization(double Low, double Step, double HatNorm, double DeltaNorm, double MaxAbs, bool Finite);

    /// <summary>h ≈ lo + step·u with u in 0..levels; the norms of ĥ and of the residual δ = h − ĥ for the bound.</summary>
    private static RowQuantization Quantize(ReadOnlySpan<float> h, Span<byte> codes, int levels)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity, maxAbs = 0;
        foreach (float v in h)
        {
            if (!float.IsFinite(v)) return default;
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
            maxAbs = Math.Max(maxAbs, Math.Abs(v));
        }
        if (h.Length == 0) return new RowQuantization(0, 0, 0, 0, 0, true);
        double step = (hi - lo) / levels;
        double hatSquares = 0, deltaSquares = 0;
        for (int i = 0; i < h.Length; i++)
        {
            int u = step > 0 ? (int)Math.Clamp(Math.Round((h[i] - lo) / step), 0, levels) : 0;
            codes[i] = (byte)u;
            double hat = lo + step * u, delta = h[i] - hat;
            hatSquares += hat * hat;
            deltaSquares += delta * delta;
        }
        // The absolute term covers the rounding of ĥ itself (a few 2^-53 of |lo| + |h|), which matters when δ is nearly 0.
        double slack = 1e-14 * (maxAbs + Math.Abs(lo)) * Math.Sqrt(h.Length);
        return new RowQuantization(lo, step, Math.Sqrt(hatSquares) * (1 + 1e-12) + slack, Math.Sqrt(deltaSquares) * (1 + 1e-12) + slack, maxAbs, true);
    }

    /// <summary>
    /// dots[row, item] = Σ u[row, p]·q[p, item] over panels [q0, q1), four rows by one panel at a
    /// time; with AVX-512BW a lone row (or the last few) runs alone rather than padded to four.
    /// </summary>
    private void DotPanels(int q0, int q1, int rows)
    {
        int rowBytes = _groups * Group, stride = _panelCount * Width;
        int tiled = _vnni ? (rows + RowTile - 1) / RowTile * RowTile : rows / RowTile * RowTile;
        fixed (byte* u = _quantized) fixed (sbyte* panels = _panels) fixed (int* dots = _dots)
        {
            for (int q = q0; q < q1; q++)
            {
                sbyte* b = panels + (long)q * _groups * Width * Group;
                for (int r = 0; r < tiled; r += RowTile)
                {
                    if (_vnni) Kernel4x32(u + (long)r * rowBytes, rowBytes, b, _groups, dots + (long)r * stride + q * Width, stride);
                    else Kernel4x32Bw(u + (long)r * rowBytes, rowBytes, b, _groups, dots + (long)r * stride + q * Width, stride);
                }
                for (int r = tiled; r < rows; r++) Kernel1x32Bw(u + (long)r * rowBytes, b, _groups, dots + (long)r * stride + q * Width);
            }
        }
    }

    /// <summary>
    /// <see cref="Kernel4x32"/> with AVX-512BW: per group, vpmaddubsw sums pairs of byte products
    /// into int16 (no saturation: codes stop at 127) and vpmaddwd by ones sums those pairs into the
    /// int32 lanes, so each lane gets the same four-product sum as a VNNI lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a server's first requests run the optimized code, not tier 0
    private static void Kernel4x32Bw(byte* a, int aStride, sbyte* b, int groups, int* c, int cStride)
    {
        var ones = Vector512.Create((short)1);
        Vector512<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int g = 0; g < groups; g++)
        {
            sbyte* bg = b + g * Width * Group;
            var b0 = Vector512.Load(bg); var b1 = Vector512.Load(bg + 64);
            var x = Vector512.Create(*(int*)(a + g * Group)).AsByte();
            c00 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b0), ones);
            c01 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b1), ones);
            x = Vector512.Create(*(int*)(a + aStride + g * Group)).AsByte();
            c10 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b0), ones);
            c11 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b1), ones);
            x = Vector512.Create(*(int*)(a + 2 * aStride + g * Group)).AsByte();
            c20 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b0), ones);
            c21 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b1), ones);
            x = Vector512.Create(*(int*)(a + 3 * aStride + g * Group)).AsByte();
            c30 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b0), ones);
            c31 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b1), ones);
        }
        c00.Store(c); c01.Store(c + 16); c += cStride;
        c10.Store(c); c11.Store(c + 16); c += cStride;
        c20.Store(c); c21.Store(c + 16); c += cStride;
        c30.Store(c); c31.Store(c + 16);
    }

    /// <summary>One byte row against one panel with AVX-512BW; two chains per half panel so the adds overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel1x32Bw(byte* a, sbyte* b, int groups, int* c)
    {
        var ones = Vector512.Create((short)1);
        Vector512<int> c0 = default, c1 = default, d0 = default, d1 = default;
        int g = 0;
        for (; g + 2 <= groups; g += 2)
        {
            sbyte* bg = b + g * Width * Group;
            var x = Vector512.Create(*(int*)(a + g * Group)).AsByte();
            var y = Vector512.Create(*(int*)(a + (g + 1) * Group)).AsByte();
            c0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, Vector512.Load(bg)), ones);
            c1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, Vector512.Load(bg + 64)), ones);
            d0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(y, Vector512.Load(bg + 128)), ones);
            d1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(y, Vector512.Load(bg + 192)), ones);
        }
        if (g < groups)
        {
            sbyte* bg = b + g * Width * Group;
            var x = Vector512.Create(*(int*)(a + g * Group)).AsByte();
            c0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, Vector512.Load(bg)), ones);
            c1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, Vector512.Load(bg + 64)), ones);
        }
        (c0 + d0).Store(c); (c1 + d1).Store(c + 16);
    }

    /// <summary>Four byte rows against one panel: 16 accumulators of 8 lanes, each lane summing four byte products per step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x32(byte* a, int aStride, sbyte* b, int groups, int* c, int cStride)
    {
        Vector256<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<int> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        for (int g = 0; g < groups; g++)
        {
            sbyte* bg = b + g * Width * Group;
            var b0 = Vector256.Load(bg); var b1 = Vector256.Load(bg + 32); var b2 = Vector256.Load(bg + 64); var b3 = Vector256.Load(bg + 96);
            var x = Vector256.Create(*(int*)(a + g * Group)).AsByte();
            c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, b0); c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, b1);
            c02 = AvxVnni.MultiplyWideningAndAdd(c02, x, b2); c03 = AvxVnni.MultiplyWideningAndAdd(c03, x, b3);
            x = Vector256.Create(*(int*)(a + aStride + g * Group)).AsByte();
            c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, b0); c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, b1);
            c12 = AvxVnni.MultiplyWideningAndAdd(c12, x, b2); c13 = AvxVnni.MultiplyWideningAndAdd(c13, x, b3);
            x = Vector256.Create(*(int*)(a + 2 * aStride + g * Group)).AsByte();
            c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, b0); c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, b1);
            c22 = AvxVnni.MultiplyWideningAndAdd(c22, x, b2); c23 = AvxVnni.MultiplyWideningAndAdd(c23, x, b3);
            x = Vector256.Create(*(int*)(a + 3 * aStride + g * Group)).AsByte();
            c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, b0); c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, b1);
            c32 = AvxVnni.MultiplyWideningAndAdd(c32, x, b2); c33 = AvxVnni.MultiplyWideningAndAdd(c33, x, b3);
        }
        c00.Store(c); c01.Store(c + 8); c02.Store(c + 16); c03.Store(c + 24); c += cStride;
        c10.Store(c); c11.Store(c + 8); c12.Store(c + 16); c13.Store(c + 24); c += cStride;
        c20.Store(c); c21.Store(c + 8); c22.Store(c + 16); c23.Store(c + 24); c += cStride;
        c30.Store(c); c31.Store(c + 8); c32.Store(c + 16); c33.Store(c + 24);
    }

    /// <summary>The bounds <see cref="SelectTop"/> prunes with, for a row of the latest <see cref="Screen"/>; false for a row it cannot screen.</summary>
    internal bool TryGetBounds(int row, float[] lower, float[] upper)
    {
        if (!_rowScales[row].Finite) return false;
        Bounds(row, _rowScales[row], lower, upper);
        return true;
    }

    /// <summary>Lower and upper bounds, as floats rounded outwards, on every item's exact fp32 score for a screened row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Bounds(int row, in RowQuantization qz, float[] lower, float[] upper)
    {
        var dots = _dots.AsSpan(row * _panelCount * Width, _items);
        // Relative widening that covers the double arithmetic below (a few roundings of 2^-53) and
        // the float conversion (2^-24, hence 2^-23 before rounding to nearest); the absolute one covers underflow.
        const double Relative = 1.0 / (1 << 23), Absolute = 1e-30;
        var step = Vector512.Create(qz.Step);
        var low = Vector512.Create(qz.Low);
        var hatNorm = Vector512.Create(qz.HatNorm);
        var deltaNorm = Vector512.Create(qz.DeltaNorm);
        var roundingScale = Vector512.Create(_rounding * qz.MaxAbs);
        var rounding = Vector512.Create(_rounding);
        var relative = Vector512.Create(Relative);
        var absolute = Vector512.Create(Absolute);
        int j = 0;
        fixed (int* d = dots) fixed (double* scale = _scale, columnSum = _columnSum, residual = _residualNorm, norm = _weightNorm, abs = _absoluteSum)
        fixed (float* bias = _bias)
        fixed (float* lo = lower, up = upper)
        {
            for (; j + 8 <= _items; j += 8)
            {
                var s = Vector512.Load(scale + j);
                var b = Avx512F.ConvertToVector512Double(Vector256.Load(bias + j));
                var dot = Avx512F.ConvertToVector512Double(Vector256.Load(d + j));
                var integerPart = s * step * dot;
                var offsetPart = s * low * Vector512.Load(columnSum + j);
                var approx = integerPart + offsetPart + b;
                var magnitude = Vector512.Abs(integerPart) + Vector512.Abs(offsetPart) + Vector512.Abs(b);
                var error = hatNorm * Vector512.Load(residual + j) + deltaNorm * Vector512.Load(norm + j)
                    + roundingScale * Vector512.Load(abs + j) + rounding * Vector512.Abs(b);
                var low0 = approx - error;
                var high0 = approx + error;
                var widen = relative * (magnitude + error) + absolute;
                var lowWide = low0 - widen - relative * Vector512.Abs(low0);
                var highWide = high0 + widen + relative * Vector512.Abs(high0);
                Avx512F.ConvertToVector256Single(lowWide).Store(lo + j);
                Avx512F.ConvertToVector256Single(highWide).Store(up + j);
            }
        }
        for (; j < _items; j++)
        {
            double integerPart = _scale[j] * qz.Step * dots[j], offsetPart = _scale[j] * qz.Low * _columnSum[j], b = _bias[j];
            double approx = integerPart + offsetPart + b;
            double magnitude = Math.Abs(integerPart) + Math.Abs(offsetPart) + Math.Abs(b);
            double error = qz.HatNorm * _residualNorm[j] + qz.DeltaNorm * _weightNorm[j] + _rounding * (qz.MaxAbs * _absoluteSum[j] + Math.Abs(b));
            double widen = Relative * (magnitude + error) + Absolute;
            double low0 = approx - error, high0 = approx + error;
            lower[j] = (float)(low0 - widen - Relative * Math.Abs(low0));
            upper[j] = (float)(high0 + widen + Relative * Math.Abs(high0));
        }
    }

    /// <summary>Indices, ascending, of the items whose upper bound reaches <paramref name="threshold"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Candidates(ReadOnlySpan<float> upper, float threshold, int[] candidates)
    {
        int count = 0, j = 0;
        var limit = Vector512.Create(threshold);
        for (; j + 16 <= upper.Length; j += 16)
        {
            ulong bits = Vector512.GreaterThanOrEqual(Vector512.Create(upper.Slice(j, 16)), limit).ExtractMostSignificantBits();
            while (bits != 0)
            {
                candidates[count++] = j + System.Numerics.BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
            }
        }
        for (; j < upper.Length; j++) if (upper[j] >= threshold) candidates[count++] = j;
        return count;
    }

    /// <summary>
    /// Exact scores of the candidates with the packed layer's (and so the evaluator's) arithmetic:
    /// per depth block one FMA chain in depth order, the bias ending the block that holds its row,
    /// blocks added in order. Four items at a time keep four chains in flight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ExactScores(float* h, int* candidates, int count, float* exact)
    {
        int depth = _depth, i = 0;
        fixed (float* weights = _transposed, bias = _bias)
        {
            for (; i + 4 <= count; i += 4)
            {
                int j0 = candidates[i], j1 = candidates[i + 1], j2 = candidates[i + 2], j3 = candidates[i + 3];
                float* w0 = weights + (long)j0 * depth, w1 = weights + (long)j1 * depth, w2 = weights + (long)j2 * depth, w3 = weights + (long)j3 * depth;
                float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
                for (int blk = 0; blk + 1 < _blockStarts.Length; blk++)
                {
                    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                    int end = _blockStarts[blk + 1], stop = Math.Min(end, depth);
                    for (int p = _blockStarts[blk]; p < stop; p++)
                    {
                        float x = h[p];
                        s0 = MathF.FusedMultiplyAdd(x, w0[p], s0);
                        s1 = MathF.FusedMultiplyAdd(x, w1[p], s1);
                        s2 = MathF.FusedMultiplyAdd(x, w2[p], s2);
                        s3 = MathF.FusedMultiplyAdd(x, w3[p], s3);
                    }
                    if (end > depth) { s0 += bias[j0]; s1 += bias[j1]; s2 += bias[j2]; s3 += bias[j3]; }
                    if (blk == 0) (t0, t1, t2, t3) = (s0, s1, s2, s3);
                    else { t0 += s0; t1 += s1; t2 += s2; t3 += s3; }
                }
                exact[i] = t0; exact[i + 1] = t1; exact[i + 2] = t2; exact[i + 3] = t3;
            }
            for (; i < count; i++)
            {
                int j = candidates[i];
                float* w = weights + (long)j * depth;
                float total = 0;
                for (int blk = 0; blk + 1 < _blockStarts.Length; blk++)
                {
                    float s = 0;
                    int end = _blockStarts[blk + 1], stop = Math.Min(end, depth);
                    for (int p = _blockStarts[blk]; p < stop; p++) s = MathF.FusedMultiplyAdd(h[p], w[p], s);
                    if (end > depth) s += bias[j];
                    total = blk == 0 ? s : total + s;
                }
                exact[i] = total;
            }
        }
    }
}
