namespace VaeCf.Numerics;

/// <summary>
/// Splits [0, count) into at most <c>threads</c> contiguous ranges of at least <c>minPerPart</c>
/// and runs them in parallel. Each index is handled by exactly one range, and callers only split
/// work whose per-index result does not depend on the split, so the output does not depend on the
/// thread count.
/// </summary>
internal static class RangeParallel
{
    public static void For(int threads, int count, int minPerPart, Action<int, int> body)
    {
        int parts = Math.Min(Math.Max(1, threads), Math.Max(1, count / Math.Max(1, minPerPart)));
        if (parts <= 1) { body(0, count); return; }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
            p => body((int)((long)count * p / parts), (int)((long)count * (p + 1) / parts)));
    }
}
