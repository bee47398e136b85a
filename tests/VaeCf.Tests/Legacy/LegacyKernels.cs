using System.Runtime.Intrinsics;

namespace VaeCf.Tests.Legacy;

/// <summary>The element-wise kernels as they were before the shared SIMD dispatch, verbatim, to pin the new code's bits.</summary>
internal static class LegacyKernels
{
    public readonly record struct Rule(float StepSize, float Correction2Sqrt, float Beta1, float Beta2, float Epsilon, float Coupled, float Shrink);

    public static double Update(float[] parameters, float[] _m, float[] _v, int offset, int length, float[] gradients, Rule r, bool countSquares)
    {
        var p = parameters.AsSpan(offset, length);
        var g = gradients.AsSpan(offset, length);
        var m = _m.AsSpan(offset, length);
        var v = _v.AsSpan(offset, length);
        double squares = 0;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // Memory-bound: four streams in, three out. The wider vector halves the instructions, not the bytes.
            var b1 = Vector512.Create(r.Beta1); var ob1 = Vector512.Create(1f - r.Beta1);
            var b2 = Vector512.Create(r.Beta2); var ob2 = Vector512.Create(1f - r.Beta2);
            var coupled = Vector512.Create(r.Coupled); var shrink = Vector512.Create(r.Shrink);
            var step = Vector512.Create(r.StepSize); var c2 = Vector512.Create(r.Correction2Sqrt); var eps = Vector512.Create(r.Epsilon);
            var sq = Vector512<float>.Zero;
            const int w = 16;
            for (; i <= length - w; i += w)
            {
                var pv = Vector512.Create(p.Slice(i, w));
                var gv = Vector512.Create(g.Slice(i, w)) + coupled * pv;
                var mv = b1 * Vector512.Create(m.Slice(i, w)) + ob1 * gv;
                var vv = b2 * Vector512.Create(v.Slice(i, w)) + ob2 * gv * gv;
                sq += pv * pv;
                pv = shrink * pv - step * mv / (Vector512.Sqrt(vv) / c2 + eps);
                mv.CopyTo(m.Slice(i, w));
                vv.CopyTo(v.Slice(i, w));
                pv.CopyTo(p.Slice(i, w));
            }
            squares = Vector512.Sum(sq);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var b1 = Vector256.Create(r.Beta1); var ob1 = Vector256.Create(1f - r.Beta1);
            var b2 = Vector256.Create(r.Beta2); var ob2 = Vector256.Create(1f - r.Beta2);
            var coupled = Vector256.Create(r.Coupled); var shrink = Vector256.Create(r.Shrink);
            var step = Vector256.Create(r.StepSize); var c2 = Vector256.Create(r.Correction2Sqrt); var eps = Vector256.Create(r.Epsilon);
            var sq = Vector256<float>.Zero;
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var pv = Vector256.Create(p.Slice(i, 8));
                var gv = Vector256.Create(g.Slice(i, 8)) + coupled * pv;
                var mv = b1 * Vector256.Create(m.Slice(i, 8)) + ob1 * gv;
                var vv = b2 * Vector256.Create(v.Slice(i, 8)) + ob2 * gv * gv;
                sq += pv * pv;
                pv = shrink * pv - step * mv / (Vector256.Sqrt(vv) / c2 + eps);
                mv.CopyTo(m.Slice(i, 8));
                vv.CopyTo(v.Slice(i, 8));
                pv.CopyTo(p.Slice(i, 8));
            }
            squares = Vector256.Sum(sq);
        }
        for (; i < length; i++)
        {
            float pv = p[i];
            float gv = g[i] + r.Coupled * pv;
            m[i] = r.Beta1 * m[i] + (1f - r.Beta1) * gv;
            v[i] = r.Beta2 * v[i] + (1f - r.Beta2) * gv * gv;
            squares += (double)pv * pv;
            p[i] = r.Shrink * pv - r.StepSize * m[i] / (MathF.Sqrt(v[i]) / r.Correction2Sqrt + r.Epsilon);
        }
        return countSquares ? squares : 0;
    }

    /// <summary>row = exp(row - shift) in one vectorized pass; returns the sum of the results.</summary>
    public static double ExpShiftedInPlace(Span<float> row, float shift)
    {
        int i = 0;
        double sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(shift);
            var acc = Vector512<float>.Zero;
            for (; i <= row.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var e = Vector512.Exp(Vector512.Create(row.Slice(i, Vector512<float>.Count)) - s);
                e.CopyTo(row.Slice(i, Vector512<float>.Count));
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(shift);
            var acc = Vector256<float>.Zero;
            for (; i <= row.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var e = Vector256.Exp(Vector256.Create(row.Slice(i, Vector256<float>.Count)) - s);
                e.CopyTo(row.Slice(i, Vector256<float>.Count));
                acc += e;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < row.Length; i++)
        {
            row[i] = MathF.Exp(row[i] - shift);
            sum += row[i];
        }
        return sum;
    }


    public static void TanhBackward(Span<float> gradient, ReadOnlySpan<float> output)
    {
        if (output.Length < gradient.Length) throw new ArgumentException("The saved output is shorter than the gradient.");
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= gradient.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var y = Vector512.Create(output.Slice(i, Vector512<float>.Count));
                var g = Vector512.Create(gradient.Slice(i, Vector512<float>.Count));
                (g * (Vector512<float>.One - y * y)).CopyTo(gradient.Slice(i, Vector512<float>.Count));
            }
        for (; i < gradient.Length; i++) gradient[i] *= 1f - output[i] * output[i];
    }
}
