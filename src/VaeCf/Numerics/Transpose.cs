namespace VaeCf.Numerics;

/// <summary>Whether a GEMM operand is used as stored (row-major) or transposed.</summary>
/// <remarks><c>No</c>: op(X) = X. <c>Yes</c>: op(X) = X^T, read from the stored row-major X without a copy.</remarks>
public enum Transpose { No, Yes }
