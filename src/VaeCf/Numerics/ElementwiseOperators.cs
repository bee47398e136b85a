using System.Runtime.Intrinsics;

namespace VaeCf.Numerics;

// Operators for the shapes of Elementwise, in the manner of TensorPrimitives' operator structs:
// a small readonly struct holds the kernel's constants and says what happens to one element at each
// width; the loop, the tail and the choice of width live once, in Elementwise. Implementations must
// do the same IEEE operations in the same order at every width, so a kernel's element results do
// not depend on the level (functions such as Exp, whose vector and scalar forms round differently,
// are the documented exception).

/// <summary>x → f(x), element by element.</summary>
internal interface IUnaryOperator
{
    float Invoke(float x);
    Vector256<float> Invoke(Vector256<float> x);
    Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>(x, y) → f(x, y), element by element.</summary>
internal interface IBinaryOperator
{
    float Invoke(float x, float y);
    Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
    Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

/// <summary>
/// An update of three state streams from one input stream, (a, b, c, d) → (a', c', d') with b read
/// only (an optimizer step: parameter, gradient, two moments). Returns a per-element quantity the
/// shape sums (for Adam, the parameter's square before the step).
/// </summary>
internal interface IStateUpdateOperator
{
    double Invoke(ref float a, float b, ref float c, ref float d);
    Vector256<float> Invoke(ref Vector256<float> a, Vector256<float> b, ref Vector256<float> c, ref Vector256<float> d);
    Vector512<float> Invoke(ref Vector512<float> a, Vector512<float> b, ref Vector512<float> c, ref Vector512<float> d);
}

/// <summary>A predicate on elements as a bit mask (bit i: element i passes), for scans that collect indices.</summary>
internal interface IMaskOperator
{
    bool Invoke(float x);
    ulong Invoke(Vector256<float> x);
    ulong Invoke(Vector512<float> x);
}
