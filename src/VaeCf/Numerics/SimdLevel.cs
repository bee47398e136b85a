using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VaeCf.Numerics;

/// <summary>The widest vector path a kernel may use. Tests force each one.</summary>
/// <remarks>Each value is the vector width in bits.</remarks>
public enum SimdLevel
{
    /// <summary>No vector instructions: runs anywhere.</summary>
    Scalar = 0,
    /// <summary>256-bit vectors with FMA (AVX2 class).</summary>
    Vector256 = 256,
    /// <summary>512-bit vectors (AVX-512F).</summary>
    Vector512 = 512,
}

/// <summary>What the running processor and runtime can execute (hardware acceleration and the needed instruction sets), for choosing a <see cref="SimdLevel"/>.</summary>
public static class SimdCapabilities
{
    /// <summary>The best path this processor supports.</summary>
    public static SimdLevel Best =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? SimdLevel.Vector512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? SimdLevel.Vector256
        : SimdLevel.Scalar;

    /// <summary>Whether kernels of <paramref name="level"/> can run here: Vector256 needs accelerated 256-bit vectors and FMA, Vector512 accelerated 512-bit vectors and AVX-512F (off when <c>DOTNET_EnableAVX512=0</c>).</summary>
    public static bool IsSupported(SimdLevel level) => level switch
    {
        SimdLevel.Scalar => true,
        SimdLevel.Vector256 => Vector256.IsHardwareAccelerated && Fma.IsSupported,
        SimdLevel.Vector512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        _ => false,
    };
}
