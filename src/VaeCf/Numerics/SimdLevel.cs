using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VaeCf.Numerics;

/// <summary>The widest vector path a kernel may use. Tests force each one.</summary>
public enum SimdLevel { Scalar = 0, Vector256 = 256, Vector512 = 512 }

public static class SimdCapabilities
{
    /// <summary>The best path this processor supports.</summary>
    public static SimdLevel Best =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? SimdLevel.Vector512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? SimdLevel.Vector256
        : SimdLevel.Scalar;

    public static bool IsSupported(SimdLevel level) => level switch
    {
        SimdLevel.Scalar => true,
        SimdLevel.Vector256 => Vector256.IsHardwareAccelerated && Fma.IsSupported,
        SimdLevel.Vector512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        _ => false,
    };
}
