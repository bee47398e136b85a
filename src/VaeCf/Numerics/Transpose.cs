namespace VaeCf.Numerics;

/// <summary>Whether a GEMM operand is used as stored (row-major) or transposed.</summary>
public enum Transpose
{
    /// <summary>op(X) = X.</summary>
    No,
    /// <summary>op(X) = X^T, read from the stored row-major X without a copy.</summary>
    Yes,
}
