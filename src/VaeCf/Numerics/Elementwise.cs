using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace VaeCf.Numerics;

/// <summary>
/// The loops of the element-wise kernels (Adam, the loss's exponentials, tanh's backward pass,
/// top-k's scan), written once per shape and run at the width a <see cref="SimdLevel"/> names:
/// whole vectors first, then the tail one element at a time through the operator's scalar form.
/// The kernels themselves are operator structs (<see cref="IUnaryOperator"/> and its siblings),
/// which the JIT specializes and inlines into these loops, as TensorPrimitives does.
/// <para>
/// Every caller passes its level, so tests run each kernel at every level the machine supports
/// against <see cref="SimdLevel.Scalar"/>, and a process started with DOTNET_EnableAVX512F=0 takes
/// the 256-bit paths by default. Callers must pass a supported level
/// (<see cref="SimdCapabilities.IsSupported"/>); Vector512 code on a machine without it runs, slowly, in software.
/// </para>
/// </summary>
internal static class Elementwise
{
    /// <summary>Floats one step of the level covers.</summary>
    public static int Width(SimdLevel level) => level switch
    {
        SimdLevel.Vector512 => Vector512<float>.Count,
        SimdLevel.Vector256 => Vector256<float>.Count,
        _ => 1,
    };

    /// <summary>
    /// x[i] = op(x[i]) in place; returns the sum of the new values. Vector lanes accumulate in
    /// float and are summed once, the tail is added in double (so the sum, unlike the elements,
    /// depends a little on the level).
    /// </summary>
    public static double MapInPlaceAndSum<TOp>(SimdLevel level, Span<float> x, TOp op) where TOp : struct, IUnaryOperator
    {
        ref float start = ref MemoryMarshal.GetReference(x);
        int i = 0, n = x.Length;
        double sum = 0;
        if (level == SimdLevel.Vector512)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var e = op.Invoke(Vector512.LoadUnsafe(ref start, (nuint)i));
                e.StoreUnsafe(ref start, (nuint)i);
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        else if (level == SimdLevel.Vector256)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var e = op.Invoke(Vector256.LoadUnsafe(ref start, (nuint)i));
                e.StoreUnsafe(ref start, (nuint)i);
                acc += e;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = op.Invoke(Unsafe.Add(ref start, i));
            Unsafe.Add(ref start, i) = e;
            sum += e;
        }
        return sum;
    }

    /// <summary>x[i] = op(x[i], y[i]) in place, for i below x's length (y at least as long).</summary>
    public static void MapInPlace<TOp>(SimdLevel level, Span<float> x, ReadOnlySpan<float> y, TOp op) where TOp : struct, IBinaryOperator
    {
        if (y.Length < x.Length) throw new ArgumentException("The second operand is shorter than the first.", nameof(y));
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        int i = 0, n = x.Length;
        if (level == SimdLevel.Vector512)
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Invoke(Vector512.LoadUnsafe(ref xs, (nuint)i), Vector512.LoadUnsafe(ref ys, (nuint)i)).StoreUnsafe(ref xs, (nuint)i);
        else if (level == SimdLevel.Vector256)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Invoke(Vector256.LoadUnsafe(ref xs, (nuint)i), Vector256.LoadUnsafe(ref ys, (nuint)i)).StoreUnsafe(ref xs, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref xs, i) = op.Invoke(Unsafe.Add(ref xs, i), Unsafe.Add(ref ys, i));
    }

    /// <summary>
    /// op over four equally long streams, a, c and d updated in place and b read; returns the sum
    /// of op's per-element results (vector lanes in float, summed once; the tail in double).
    /// </summary>
    public static double UpdateState<TOp>(SimdLevel level, Span<float> a, ReadOnlySpan<float> b, Span<float> c, Span<float> d, TOp op)
        where TOp : struct, IStateUpdateOperator
    {
        int n = a.Length;
        if (b.Length != n || c.Length != n || d.Length != n) throw new ArgumentException("The four streams differ in length.");
        ref float sa = ref MemoryMarshal.GetReference(a);
        ref float sb = ref MemoryMarshal.GetReference(b);
        ref float sc = ref MemoryMarshal.GetReference(c);
        ref float sd = ref MemoryMarshal.GetReference(d);
        int i = 0;
        double sum = 0;
        if (level == SimdLevel.Vector512)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                nuint o = (nuint)i;
                var va = Vector512.LoadUnsafe(ref sa, o);
                var vc = Vector512.LoadUnsafe(ref sc, o);
                var vd = Vector512.LoadUnsafe(ref sd, o);
                acc += op.Invoke(ref va, Vector512.LoadUnsafe(ref sb, o), ref vc, ref vd);
                va.StoreUnsafe(ref sa, o);
                vc.StoreUnsafe(ref sc, o);
                vd.StoreUnsafe(ref sd, o);
            }
            sum = Vector512.Sum(acc);
        }
        else if (level == SimdLevel.Vector256)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint o = (nuint)i;
                var va = Vector256.LoadUnsafe(ref sa, o);
                var vc = Vector256.LoadUnsafe(ref sc, o);
                var vd = Vector256.LoadUnsafe(ref sd, o);
                acc += op.Invoke(ref va, Vector256.LoadUnsafe(ref sb, o), ref vc, ref vd);
                va.StoreUnsafe(ref sa, o);
                vc.StoreUnsafe(ref sc, o);
                vd.StoreUnsafe(ref sd, o);
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++) sum += op.Invoke(ref Unsafe.Add(ref sa, i), Unsafe.Add(ref sb, i), ref Unsafe.Add(ref sc, i), ref Unsafe.Add(ref sd, i));
        return sum;
    }

    /// <summary>
    /// Bit j set where op holds for x[start + j], for the <see cref="Width"/>(level) elements from
    /// <paramref name="start"/> (which the caller keeps within x).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mask<TOp>(SimdLevel level, ReadOnlySpan<float> x, int start, TOp op) where TOp : struct, IMaskOperator
    {
        ref float s = ref MemoryMarshal.GetReference(x);
        return level switch
        {
            SimdLevel.Vector512 => op.Invoke(Vector512.LoadUnsafe(ref s, (nuint)start)),
            SimdLevel.Vector256 => op.Invoke(Vector256.LoadUnsafe(ref s, (nuint)start)),
            _ => op.Invoke(Unsafe.Add(ref s, start)) ? 1ul : 0ul,
        };
    }
}
