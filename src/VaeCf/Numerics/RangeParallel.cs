namespace VaeCf.Numerics;

/// <summary>
/// Splits [0, count) into contiguous ranges of at least <c>minPerPart</c> (a few per thread) and
/// runs them on at most <c>threads</c> threads. Each index is handled by exactly one range, and callers only split
/// work whose per-index result does not depend on the split, so the output does not depend on the
/// thread count.
/// </summary>
internal static class RangeParallel
{
    public static void For(int threads, int count, int minPerPart, Action<int, int> body)
    {
        threads = Math.Max(1, threads);
        int parts = Math.Min(threads * PartsPerThread, Math.Max(1, count / Math.Max(1, minPerPart)));
        if (parts <= 1 || threads == 1) { body(0, count); return; }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = threads },
            p => body((int)((long)count * p / parts), (int)((long)count * (p + 1) / parts)));
    }

    // A few parts per thread, taken first-come: a pool thread that starts late (busy with other
    // work, as in a server) then takes fewer parts instead of leaving the caller waiting for it.
    private const int PartsPerThread = 4;
}
