using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VaeCf.Numerics;

/// <summary>
/// Copies a block of op(A) or op(B) into micro-panels the kernels read with unit stride.
/// Both operands reduce to one shape: a matrix X indexed by a panel coordinate r (rows of op(A),
/// columns of op(B)) and the depth p, stored either depth-contiguous (X(r, p) = x[r * ld + p]: A
/// not transposed, B transposed) or panel-contiguous (X(r, p) = x[p * ld + r]: the other two).
/// So all four transpose cases share one kernel; only the packing differs.
/// Output: panel q holds rows q*w .. q*w+w-1 as dst[q*kc*w + p*w + (r mod w)], zero-padded.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <param name="rTotal">Extent of the r coordinate in the source, so vector loads never read past it.</param>
    public static void Pack(float* x, nint ld, bool depthContiguous, int r0, int rCount, int rTotal,
        int p0, int kc, int w, float* dst, SimdLevel simd)
    {
        for (int rr = 0; rr < rCount; rr += w)
        {
            int width = Math.Min(w, rCount - rr);
            float* panel = dst + (nint)(rr / w) * kc * w;
            int r = r0 + rr;
            if (depthContiguous)
            {
                float* src = x + r * ld + p0;
                if (width == w && simd == SimdLevel.Vector512 && (w == 32 || w == 14)) Transpose512(src, ld, kc, w, panel);
                else if (width == w && simd == SimdLevel.Vector256 && (w == 16 || w == 6)) Transpose256(src, ld, kc, w, panel);
                else TransposeScalar(src, ld, 0, kc, width, w, panel);
            }
            else
            {
                float* src = x + p0 * ld + r;
                // A full-width vector load may touch up to 16 floats from r; that is in bounds only
                // while r + 16 <= rTotal (the row of the source ends at rTotal).
                if (width == w && simd == SimdLevel.Vector512 && w == 32) Copy32(src, ld, kc, panel);
                else if (width == w && simd == SimdLevel.Vector512 && w == 14 && r + 16 <= rTotal) Copy14(src, ld, kc, panel);
                else if (width == w && simd == SimdLevel.Vector256 && w == 16) Copy16(src, ld, kc, panel);
                else if (width == w && simd == SimdLevel.Vector256 && w == 6 && r + 8 <= rTotal) Copy6(src, ld, kc, panel);
                else CopyScalar(src, ld, kc, width, w, panel);
            }
        }
    }

    private static void CopyScalar(float* src, nint ld, int kc, int width, int w, float* panel)
    {
        for (int p = 0; p < kc; p++, src += ld, panel += w)
        {
            int j = 0;
            for (; j < width; j++) panel[j] = src[j];
            for (; j < w; j++) panel[j] = 0f;
        }
    }

    private static void TransposeScalar(float* src, nint ld, int pStart, int kc, int width, int w, float* panel)
    {
        for (int r = 0; r < width; r++)
        {
            float* s = src + r * ld;
            for (int p = pStart; p < kc; p++) panel[p * w + r] = s[p];
        }
        for (int r = width; r < w; r++)
            for (int p = pStart; p < kc; p++) panel[p * w + r] = 0f;
    }

    private static void Copy32(float* src, nint ld, int kc, float* panel)
    {
        for (int p = 0; p < kc; p++, src += ld, panel += 32)
        {
            Vector512.Load(src).Store(panel);
            Vector512.Load(src + 16).Store(panel + 16);
        }
    }

    // Stores 16 floats per 14-wide row: the 2 extra land on the next row (rewritten next) or on the
    // buffer's padding, which is cheaper than a masked store.
    private static void Copy14(float* src, nint ld, int kc, float* panel)
    {
        for (int p = 0; p < kc; p++, src += ld, panel += 14) Vector512.Load(src).Store(panel);
    }

    private static void Copy16(float* src, nint ld, int kc, float* panel)
    {
        for (int p = 0; p < kc; p++, src += ld, panel += 16)
        {
            Vector256.Load(src).Store(panel);
            Vector256.Load(src + 8).Store(panel + 8);
        }
    }

    private static void Copy6(float* src, nint ld, int kc, float* panel)
    {
        for (int p = 0; p < kc; p++, src += ld, panel += 6) Vector256.Load(src).Store(panel);
    }

    /// <summary>Full-width depth-contiguous panel (w = 32 or 14) via 16 x 16 in-register transposes.</summary>
    private static void Transpose512(float* src, nint ld, int kc, int w, float* panel)
    {
        int p = 0;
        for (; p + 16 <= kc; p += 16)
        {
            for (int g = 0; g < w; g += 16)
            {
                int rows = Math.Min(16, w - g);
                float* s = src + g * ld + p;
                var r0 = Vector512.Load(s); var r1 = Vector512.Load(s + ld);
                var r2 = Vector512.Load(s + 2 * ld); var r3 = Vector512.Load(s + 3 * ld);
                var r4 = Vector512.Load(s + 4 * ld); var r5 = Vector512.Load(s + 5 * ld);
                var r6 = Vector512.Load(s + 6 * ld); var r7 = Vector512.Load(s + 7 * ld);
                var r8 = Vector512.Load(s + 8 * ld); var r9 = Vector512.Load(s + 9 * ld);
                var r10 = Vector512.Load(s + 10 * ld); var r11 = Vector512.Load(s + 11 * ld);
                var r12 = Vector512.Load(s + 12 * ld); var r13 = Vector512.Load(s + 13 * ld);
                Vector512<float> r14, r15;
                if (rows == 16) { r14 = Vector512.Load(s + 14 * ld); r15 = Vector512.Load(s + 15 * ld); }
                else { r14 = Vector512<float>.Zero; r15 = Vector512<float>.Zero; }
                Transpose16x16(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7,
                    ref r8, ref r9, ref r10, ref r11, ref r12, ref r13, ref r14, ref r15);
                // In increasing p so that the 14-wide case's 2-float overhang is overwritten by the next row.
                float* d = panel + p * w + g;
                r0.Store(d); r1.Store(d + w);
                r2.Store(d + 2 * w); r3.Store(d + 3 * w);
                r4.Store(d + 4 * w); r5.Store(d + 5 * w);
                r6.Store(d + 6 * w); r7.Store(d + 7 * w);
                r8.Store(d + 8 * w); r9.Store(d + 9 * w);
                r10.Store(d + 10 * w); r11.Store(d + 11 * w);
                r12.Store(d + 12 * w); r13.Store(d + 13 * w);
                r14.Store(d + 14 * w); r15.Store(d + 15 * w);
            }
        }
        if (p < kc) TransposeScalar(src, ld, p, kc, w, w, panel);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16x16(
        ref Vector512<float> r0, ref Vector512<float> r1, ref Vector512<float> r2, ref Vector512<float> r3,
        ref Vector512<float> r4, ref Vector512<float> r5, ref Vector512<float> r6, ref Vector512<float> r7,
        ref Vector512<float> r8, ref Vector512<float> r9, ref Vector512<float> r10, ref Vector512<float> r11,
        ref Vector512<float> r12, ref Vector512<float> r13, ref Vector512<float> r14, ref Vector512<float> r15)
    {
        // Stage 1: interleave 32-bit pairs of adjacent rows.
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);
        // Stage 2: interleave 64-bit pairs; u(4q+s) now holds, in 128-bit lane L, column 4L+s of rows 4q..4q+3.
        var u0 = Lo64(t0, t2); var u1 = Hi64(t0, t2); var u2 = Lo64(t1, t3); var u3 = Hi64(t1, t3);
        var u4 = Lo64(t4, t6); var u5 = Hi64(t4, t6); var u6 = Lo64(t5, t7); var u7 = Hi64(t5, t7);
        var u8 = Lo64(t8, t10); var u9 = Hi64(t8, t10); var u10 = Lo64(t9, t11); var u11 = Hi64(t9, t11);
        var u12 = Lo64(t12, t14); var u13 = Hi64(t12, t14); var u14 = Lo64(t13, t15); var u15 = Hi64(t13, t15);
        // Stage 3: gather lane L of u(s), u(4+s), u(8+s), u(12+s) into column 4L+s.
        Lanes(u0, u4, u8, u12, out r0, out r4, out r8, out r12);
        Lanes(u1, u5, u9, u13, out r1, out r5, out r9, out r13);
        Lanes(u2, u6, u10, u14, out r2, out r6, out r10, out r14);
        Lanes(u3, u7, u11, u15, out r3, out r7, out r11, out r15);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lo64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Hi64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lanes(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        out Vector512<float> l0, out Vector512<float> l1, out Vector512<float> l2, out Vector512<float> l3)
    {
        var ab01 = Avx512F.Shuffle4x128(a, b, 0x44); // a.L0 a.L1 b.L0 b.L1
        var cd01 = Avx512F.Shuffle4x128(c, d, 0x44);
        var ab23 = Avx512F.Shuffle4x128(a, b, 0xEE); // a.L2 a.L3 b.L2 b.L3
        var cd23 = Avx512F.Shuffle4x128(c, d, 0xEE);
        l0 = Avx512F.Shuffle4x128(ab01, cd01, 0x88); // a.L0 b.L0 c.L0 d.L0
        l1 = Avx512F.Shuffle4x128(ab01, cd01, 0xDD); // a.L1 b.L1 c.L1 d.L1
        l2 = Avx512F.Shuffle4x128(ab23, cd23, 0x88);
        l3 = Avx512F.Shuffle4x128(ab23, cd23, 0xDD);
    }

    /// <summary>Full-width depth-contiguous panel (w = 16 or 6) via 8 x 8 in-register transposes.</summary>
    private static void Transpose256(float* src, nint ld, int kc, int w, float* panel)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            for (int g = 0; g < w; g += 8)
            {
                int rows = Math.Min(8, w - g);
                float* s = src + g * ld + p;
                var r0 = Vector256.Load(s); var r1 = Vector256.Load(s + ld);
                var r2 = Vector256.Load(s + 2 * ld); var r3 = Vector256.Load(s + 3 * ld);
                var r4 = Vector256.Load(s + 4 * ld); var r5 = Vector256.Load(s + 5 * ld);
                Vector256<float> r6, r7;
                if (rows == 8) { r6 = Vector256.Load(s + 6 * ld); r7 = Vector256.Load(s + 7 * ld); }
                else { r6 = Vector256<float>.Zero; r7 = Vector256<float>.Zero; }
                var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
                var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
                var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
                var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
                var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
                var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
                var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
                var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
                float* d = panel + p * w + g;
                Avx.Permute2x128(u0, u4, 0x20).Store(d);
                Avx.Permute2x128(u1, u5, 0x20).Store(d + w);
                Avx.Permute2x128(u2, u6, 0x20).Store(d + 2 * w);
                Avx.Permute2x128(u3, u7, 0x20).Store(d + 3 * w);
                Avx.Permute2x128(u0, u4, 0x31).Store(d + 4 * w);
                Avx.Permute2x128(u1, u5, 0x31).Store(d + 5 * w);
                Avx.Permute2x128(u2, u6, 0x31).Store(d + 6 * w);
                Avx.Permute2x128(u3, u7, 0x31).Store(d + 7 * w);
            }
        }
        if (p < kc) TransposeScalar(src, ld, p, kc, w, w, panel);
    }
}
