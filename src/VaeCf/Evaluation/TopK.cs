using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;
using VaeCf.Numerics;

namespace VaeCf.Evaluation;

/// <summary>
/// Partial selection of the k best scores without sorting the whole row. Ties break towards the
/// lower item index so rankings are reproducible.
/// <para>
/// One vectorized pass compares whole vectors against a running threshold and appends the
/// indices that beat it to a buffer of about 4k candidates; when the buffer fills, a quickselect
/// keeps its best k and the threshold rises to the worst of them. Each candidate is one 64-bit key
/// (score mapped to an order-preserving integer, inverted, then the item index), so "better" is
/// plain integer order: no indirect loads and no tie logic in the inner loops, unlike a heap of
/// indices, which paid a sift-down of several dependent loads for each of the ~k ln(n/k) items
/// that enter it.
/// </para>
/// </summary>
public static class TopK
{
    private const int StackCandidates = 2048;

    /// <summary>
    /// Writes the indices of the k largest scores (NaN never chosen; -inf skipped when
    /// <paramref name="skipNegativeInfinity"/>, otherwise ranked last) into
    /// <paramref name="result"/> in rank order and returns how many were written.
    /// </summary>
    /// <param name="simd">Vector width of the scan; the processor's best when null (the answer is the same at every level).</param>
    public static int Select(ReadOnlySpan<float> scores, int k, Span<int> result, bool skipNegativeInfinity = true, SimdLevel? simd = null)
    {
        k = Math.Min(k, scores.Length);
        if (k <= 0) return 0;
        if (result.Length < k) throw new ArgumentException($"The result span holds {result.Length} indices, fewer than k = {k}.", nameof(result));
        // At least k + one vector (k <= n), so a compaction always has more than k keys to cut.
        int capacity = (int)Math.Min(4L * k + Vector512<float>.Count, (long)scores.Length + Vector512<float>.Count);
        ulong[]? rented = null;
        Span<ulong> keys = capacity <= StackCandidates ? stackalloc ulong[capacity] : (rented = ArrayPool<ulong>.Shared.Rent(capacity)).AsSpan(0, capacity);
        try
        {
            int count = Collect(scores, k, keys, skipNegativeInfinity, simd ?? SimdCapabilities.Best);
            if (count > k) SelectSmallest(keys[..count], k);
            int found = Math.Min(count, k);
            keys[..found].Sort();
            for (int i = 0; i < found; i++) result[i] = (int)(uint)keys[i];
            return found;
        }
        finally
        {
            if (rented is not null) ArrayPool<ulong>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Appends the key of every score that can still make the top k; returns how many keys are
    /// left in <paramref name="keys"/> (its best k are the answer).
    /// </summary>
    private static int Collect(ReadOnlySpan<float> scores, int k, Span<ulong> keys, bool skipNegativeInfinity, SimdLevel simd)
    {
        // Until the buffer first fills, every admissible score enters: above -inf, or not NaN
        // when -inf may be ranked. After that only scores strictly above the worst kept one:
        // a later item with an equal score has a larger index, so it ranks below it.
        bool everyNumber = !skipNegativeInfinity;
        float threshold = float.NegativeInfinity;
        int count = 0, i = 0, limit = keys.Length - Vector512<float>.Count;
        // Whole vectors at the chosen width, then the tail one score at a time: the same steps.
        for (int width = Elementwise.Width(simd); ; width = 1, simd = SimdLevel.Scalar)
        {
            for (; i <= scores.Length - width; i += width)
            {
                ulong bits = everyNumber ? Elementwise.Mask(simd, scores, i, default(IsNumber)) : Elementwise.Mask(simd, scores, i, new Above(threshold));
                if (bits == 0) continue;
                count = Append(scores, i, bits, keys, count);
                if (count > limit) (count, threshold, everyNumber) = (k, Compact(keys[..count], k, scores), false);
            }
            if (width == 1) return count;
        }
    }

    private readonly struct IsNumber : IMaskOperator
    {
        public bool Invoke(float x) => !float.IsNaN(x);
        public ulong Invoke(Vector256<float> x) => Vector256.Equals(x, x).ExtractMostSignificantBits();
        public ulong Invoke(Vector512<float> x) => Vector512.Equals(x, x).ExtractMostSignificantBits();
    }

    private readonly struct Above(float threshold) : IMaskOperator
    {
        public bool Invoke(float x) => x > threshold;
        public ulong Invoke(Vector256<float> x) => Vector256.GreaterThan(x, Vector256.Create(threshold)).ExtractMostSignificantBits();
        public ulong Invoke(Vector512<float> x) => Vector512.GreaterThan(x, Vector512.Create(threshold)).ExtractMostSignificantBits();
    }

    private static int Append(ReadOnlySpan<float> scores, int start, ulong bits, Span<ulong> keys, int count)
    {
        do
        {
            int j = start + BitOperations.TrailingZeroCount(bits);
            keys[count++] = Key(scores[j], j);
            bits &= bits - 1;
        } while (bits != 0);
        return count;
    }

    /// <summary>Keeps the best k keys at the front and returns the worst kept score, the new threshold.</summary>
    private static float Compact(Span<ulong> keys, int k, ReadOnlySpan<float> scores)
    {
        SelectSmallest(keys, k);
        ulong worst = keys[0];
        for (int i = 1; i < k; i++) worst = Math.Max(worst, keys[i]);
        return scores[(int)(uint)worst];
    }

    /// <summary>
    /// Ascending key order is rank order: the score's bits made order-preserving as an unsigned
    /// integer and inverted (higher score, smaller key), then the index (lower index first on ties).
    /// -0 is folded into +0 because they compare equal as scores.
    /// </summary>
    private static ulong Key(float score, int index)
    {
        uint bits = score == 0f ? 0u : BitConverter.SingleToUInt32Bits(score);
        uint ordered = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)~ordered << 32) | (uint)index;
    }

    /// <summary>Moves the k smallest keys to keys[0..k) in any order (Hoare quickselect, median-of-three pivots).</summary>
    private static void SelectSmallest(Span<ulong> keys, int k)
    {
        int left = 0, right = keys.Length - 1, rounds = 0;
        while (right > left)
        {
            if (++rounds > 64)
            {
                // Pathological pivots: finish by sorting what is left.
                keys[left..(right + 1)].Sort();
                return;
            }
            int middle = left + (right - left) / 2;
            ulong a = keys[left], b = keys[middle], c = keys[right];
            ulong pivot = a < b ? (b < c ? b : Math.Max(a, c)) : (a < c ? a : Math.Max(b, c));
            int i = left, j = right;
            while (i <= j)
            {
                while (keys[i] < pivot) i++;
                while (keys[j] > pivot) j--;
                if (i <= j)
                {
                    (keys[i], keys[j]) = (keys[j], keys[i]);
                    i++;
                    j--;
                }
            }
            // Now keys[left..j] <= pivot <= keys[i..right], and anything between equals the pivot.
            if (k - 1 <= j) right = j;
            else if (k - 1 >= i) left = i;
            else return;
        }
    }
}
