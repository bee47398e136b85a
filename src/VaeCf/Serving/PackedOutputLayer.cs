using System.Runtime.Intrinsics;
using VaeCf.Model;
using VaeCf.Numerics;

namespace VaeCf.Serving;

/// <summary>
/// The output layer (hidden x items, 12M weights for ML-20M) for the few rows a server scores at a
/// time. The general GEMM packs the whole weight matrix on every call and computes 14-row tiles,
/// which for one to a few dozen rows costs far more than the product; here the weights are packed
/// once into 32-column panels and streamed once per batch while the batch's rows reuse each panel
/// from cache. Arithmetic matches <see cref="GemmEngine"/> (one FMA chain per depth block, blocks
/// added to the bias in order), so scores equal the evaluator's bit for bit.
/// </summary>
internal sealed unsafe class PackedOutputLayer
{
    private const int Width = 32;
    private readonly float[] _panels; // panel q: depth x Width, zero-padded past the last item
    private readonly float[] _bias;   // padded to whole panels
    private readonly int[] _blockStarts;
    private readonly int _depth, _outputs, _panelCount, _threads;

    private PackedOutputLayer(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int depth, int outputs, int depthBlock, int threads)
    {
        _depth = depth;
        _outputs = outputs;
        _threads = Math.Max(1, threads);
        _panelCount = (outputs + Width - 1) / Width;
        _panels = GC.AllocateArray<float>(checked(_panelCount * depth * Width), pinned: true);
        for (int q = 0; q < _panelCount; q++)
            for (int p = 0; p < depth; p++)
                for (int j = 0; j < Width && q * Width + j < outputs; j++)
                    _panels[((long)q * depth + p) * Width + j] = weight[p * outputs + q * Width + j];
        _bias = new float[_panelCount * Width];
        bias.CopyTo(_bias);
        int blocks = (depth + depthBlock - 1) / depthBlock;
        _blockStarts = new int[blocks + 1];
        for (int b = 0; b <= blocks; b++) _blockStarts[b] = (int)((long)depth * b / blocks);
    }

    /// <summary>Null where the GEMM engine does not run AVX-512: its arithmetic is the one this layer reproduces.</summary>
    public static PackedOutputLayer? TryCreate(AutoencoderNetwork network)
    {
        if (network.Gemm.Simd != SimdLevel.Vector512 || !Vector512.IsHardwareAccelerated) return null;
        int last = network.LayerCount - 1;
        var (inputs, outputs) = network.Shapes[last];
        return new PackedOutputLayer(network.Parameters.View(network.WeightSlot(last)), network.Parameters.View(network.BiasSlot(last)),
            inputs, outputs, network.Gemm.DepthBlock, network.Gemm.Threads);
    }

    /// <summary>output[rows x outputs] = input[rows x depth] . W + bias.</summary>
    public void Forward(ReadOnlySpan<float> input, int rows, Span<float> output)
    {
        if (input.Length < rows * _depth || output.Length < rows * _outputs) throw new ArgumentException("Buffers too small for the batch.");
        fixed (float* a = input, c = output)
        {
            nint pa = (nint)a, pc = (nint)c;
            // Streaming the weights is memory-bound; two cores fetch twice as fast, so split the panels.
            long work = (long)rows * _depth * _outputs;
            int parts = work < 2_000_000 ? 1 : _threads;
            if (parts == 1) Panels(0, _panelCount, (float*)pa, rows, (float*)pc);
            else Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
                Panels(_panelCount * part / parts, _panelCount * (part + 1) / parts, (float*)pa, rows, (float*)pc));
        }
    }

    private void Panels(int q0, int q1, float* a, int rows, float* c)
    {
        float* tile = stackalloc float[8 * Width]; // also four panels' worth for Row1x4
        fixed (float* panels = _panels, bias = _bias)
        {
            for (int q = q0; q < q1; q++)
            {
                float* b = panels + (long)q * _depth * Width;
                int col = q * Width, valid = Math.Min(Width, _outputs - col);
                int r = 0;
                if (rows < 4 && q + 4 <= q1 && (q + 4) * Width <= _outputs)
                {
                    // Too few rows to hide the FMA latency with one panel: take four at once (8 chains).
                    for (; r < rows; r++)
                    {
                        Row1x4(a + (long)r * _depth, b, bias + col, tile);
                        new ReadOnlySpan<float>(tile, 4 * Width).CopyTo(new Span<float>(c + (long)r * _outputs + col, 4 * Width));
                    }
                    q += 3;
                    continue;
                }
                for (; r + 8 <= rows; r += 8)
                {
                    Rows8(a + (long)r * _depth, b, bias + col, tile);
                    for (int i = 0; i < 8; i++) new ReadOnlySpan<float>(tile + i * Width, valid).CopyTo(new Span<float>(c + (long)(r + i) * _outputs + col, valid));
                }
                for (; r + 4 <= rows; r += 4)
                {
                    Rows4(a + (long)r * _depth, b, bias + col, tile);
                    for (int i = 0; i < 4; i++) new ReadOnlySpan<float>(tile + i * Width, valid).CopyTo(new Span<float>(c + (long)(r + i) * _outputs + col, valid));
                }
                for (; r < rows; r++)
                {
                    Row1(a + (long)r * _depth, b, bias + col, tile);
                    new ReadOnlySpan<float>(tile, valid).CopyTo(new Span<float>(c + (long)r * _outputs + col, valid));
                }
            }
        }
    }

    /// <summary>
    /// Eight rows against one panel: each pair of panel vectors loaded feeds 16 FMAs instead of 8.
    /// Every output's arithmetic is the same chain as in <see cref="Rows4"/> and <see cref="Row1"/>.
    /// </summary>
    private void Rows8(float* a, float* b, float* bias, float* tile)
    {
        int depth = _depth;
        var c00 = Vector512.Load(bias); var c01 = Vector512.Load(bias + 16);
        Vector512<float> c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        Vector512<float> c40 = c00, c41 = c01, c50 = c00, c51 = c01, c60 = c00, c61 = c01, c70 = c00, c71 = c01;
        for (int blk = 0; blk + 1 < _blockStarts.Length; blk++)
        {
            Vector512<float> s00 = default, s01 = default, s10 = default, s11 = default, s20 = default, s21 = default, s30 = default, s31 = default;
            Vector512<float> s40 = default, s41 = default, s50 = default, s51 = default, s60 = default, s61 = default, s70 = default, s71 = default;
            for (int p = _blockStarts[blk]; p < _blockStarts[blk + 1]; p++)
            {
                var b0 = Vector512.Load(b + p * Width);
                var b1 = Vector512.Load(b + p * Width + 16);
                var a0 = Vector512.Create(a[p]);
                s00 = Vector512.FusedMultiplyAdd(a0, b0, s00); s01 = Vector512.FusedMultiplyAdd(a0, b1, s01);
                var a1 = Vector512.Create(a[depth + p]);
                s10 = Vector512.FusedMultiplyAdd(a1, b0, s10); s11 = Vector512.FusedMultiplyAdd(a1, b1, s11);
                var a2 = Vector512.Create(a[2 * depth + p]);
                s20 = Vector512.FusedMultiplyAdd(a2, b0, s20); s21 = Vector512.FusedMultiplyAdd(a2, b1, s21);
                var a3 = Vector512.Create(a[3 * depth + p]);
                s30 = Vector512.FusedMultiplyAdd(a3, b0, s30); s31 = Vector512.FusedMultiplyAdd(a3, b1, s31);
                var a4 = Vector512.Create(a[4 * depth + p]);
                s40 = Vector512.FusedMultiplyAdd(a4, b0, s40); s41 = Vector512.FusedMultiplyAdd(a4, b1, s41);
                var a5 = Vector512.Create(a[5 * depth + p]);
                s50 = Vector512.FusedMultiplyAdd(a5, b0, s50); s51 = Vector512.FusedMultiplyAdd(a5, b1, s51);
                var a6 = Vector512.Create(a[6 * depth + p]);
                s60 = Vector512.FusedMultiplyAdd(a6, b0, s60); s61 = Vector512.FusedMultiplyAdd(a6, b1, s61);
                var a7 = Vector512.Create(a[7 * depth + p]);
                s70 = Vector512.FusedMultiplyAdd(a7, b0, s70); s71 = Vector512.FusedMultiplyAdd(a7, b1, s71);
            }
            c00 += s00; c01 += s01; c10 += s10; c11 += s11; c20 += s20; c21 += s21; c30 += s30; c31 += s31;
            c40 += s40; c41 += s41; c50 += s50; c51 += s51; c60 += s60; c61 += s61; c70 += s70; c71 += s71;
        }
        c00.Store(tile); c01.Store(tile + 16);
        c10.Store(tile + Width); c11.Store(tile + Width + 16);
        c20.Store(tile + 2 * Width); c21.Store(tile + 2 * Width + 16);
        c30.Store(tile + 3 * Width); c31.Store(tile + 3 * Width + 16);
        c40.Store(tile + 4 * Width); c41.Store(tile + 4 * Width + 16);
        c50.Store(tile + 5 * Width); c51.Store(tile + 5 * Width + 16);
        c60.Store(tile + 6 * Width); c61.Store(tile + 6 * Width + 16);
        c70.Store(tile + 7 * Width); c71.Store(tile + 7 * Width + 16);
    }

    private void Rows4(float* a, float* b, float* bias, float* tile)
    {
        int depth = _depth;
        var c00 = Vector512.Load(bias); var c01 = Vector512.Load(bias + 16);
        Vector512<float> c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        for (int blk = 0; blk + 1 < _blockStarts.Length; blk++)
        {
            Vector512<float> s00 = default, s01 = default, s10 = default, s11 = default, s20 = default, s21 = default, s30 = default, s31 = default;
            for (int p = _blockStarts[blk]; p < _blockStarts[blk + 1]; p++)
            {
                var b0 = Vector512.Load(b + p * Width);
                var b1 = Vector512.Load(b + p * Width + 16);
                var a0 = Vector512.Create(a[p]);
                s00 = Vector512.FusedMultiplyAdd(a0, b0, s00); s01 = Vector512.FusedMultiplyAdd(a0, b1, s01);
                var a1 = Vector512.Create(a[depth + p]);
                s10 = Vector512.FusedMultiplyAdd(a1, b0, s10); s11 = Vector512.FusedMultiplyAdd(a1, b1, s11);
                var a2 = Vector512.Create(a[2 * depth + p]);
                s20 = Vector512.FusedMultiplyAdd(a2, b0, s20); s21 = Vector512.FusedMultiplyAdd(a2, b1, s21);
                var a3 = Vector512.Create(a[3 * depth + p]);
                s30 = Vector512.FusedMultiplyAdd(a3, b0, s30); s31 = Vector512.FusedMultiplyAdd(a3, b1, s31);
            }
            c00 += s00; c01 += s01; c10 += s10; c11 += s11; c20 += s20; c21 += s21; c30 += s30; c31 += s31;
        }
        c00.Store(tile); c01.Store(tile + 16);
        c10.Store(tile + Width); c11.Store(tile + Width + 16);
        c20.Store(tile + 2 * Width); c21.Store(tile + 2 * Width + 16);
        c30.Store(tile + 3 * Width); c31.Store(tile + 3 * Width + 16);
    }

    /// <summary>One row against four consecutive panels; each output's chain is the one <see cref="Row1"/> computes.</summary>
    private void Row1x4(float* a, float* b, float* bias, float* tile)
    {
        long stride = (long)_depth * Width;
        float* b1p = b + stride, b2p = b + 2 * stride, b3p = b + 3 * stride;
        var c0 = Vector512.Load(bias); var c1 = Vector512.Load(bias + 16);
        var c2 = Vector512.Load(bias + 32); var c3 = Vector512.Load(bias + 48);
        var c4 = Vector512.Load(bias + 64); var c5 = Vector512.Load(bias + 80);
        var c6 = Vector512.Load(bias + 96); var c7 = Vector512.Load(bias + 112);
        for (int blk = 0; blk + 1 < _blockStarts.Length; blk++)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            for (int p = _blockStarts[blk]; p < _blockStarts[blk + 1]; p++)
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
            c0 += s0; c1 += s1; c2 += s2; c3 += s3; c4 += s4; c5 += s5; c6 += s6; c7 += s7;
        }
        c0.Store(tile); c1.Store(tile + 16); c2.Store(tile + 32); c3.Store(tile + 48);
        c4.Store(tile + 64); c5.Store(tile + 80); c6.Store(tile + 96); c7.Store(tile + 112);
    }

    private void Row1(float* a, float* b, float* bias, float* tile)
    {
        var c0 = Vector512.Load(bias); var c1 = Vector512.Load(bias + 16);
        for (int blk = 0; blk + 1 < _blockStarts.Length; blk++)
        {
            Vector512<float> s0 = default, s1 = default;
            for (int p = _blockStarts[blk]; p < _blockStarts[blk + 1]; p++)
            {
                var a0 = Vector512.Create(a[p]);
                s0 = Vector512.FusedMultiplyAdd(a0, Vector512.Load(b + p * Width), s0);
                s1 = Vector512.FusedMultiplyAdd(a0, Vector512.Load(b + p * Width + 16), s1);
            }
            c0 += s0; c1 += s1;
        }
        c0.Store(tile); c1.Store(tile + 16);
    }
}
