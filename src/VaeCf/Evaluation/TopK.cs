using System.Runtime.Intrinsics;

namespace VaeCf.Evaluation;

/// <summary>
/// Partial selection of the k best scores without sorting the whole row: a bounded min-heap,
/// O(n log k). Ties break towards the lower item index so rankings are reproducible.
/// </summary>
public static class TopK
{
    /// <summary>
    /// Writes the indices of the k largest finite-or-not scores (NaN and -inf last, never chosen over
    /// a real score) into <paramref name="result"/> in rank order and returns how many were written
    /// (min(k, scores.Length) minus masked items when <paramref name="skipNegativeInfinity"/>).
    /// </summary>
    public static int Select(ReadOnlySpan<float> scores, int k, Span<int> result, bool skipNegativeInfinity = true)
    {
        k = Math.Min(k, scores.Length);
        if (k <= 0) return 0;
        int size = 0, i = 0;
        // heap[0] is the worst of the kept items.
        for (; i < scores.Length && size < k; i++)
        {
            float s = scores[i];
            if (float.IsNaN(s) || (skipNegativeInfinity && float.IsNegativeInfinity(s))) continue;
            result[size] = i;
            SiftUp(result, size, scores);
            size++;
        }
        if (size == k)
        {
            // Every later item has a larger index than every kept one, so it ranks above the worst
            // kept item only with a strictly larger score (NaN compares false). Most of a row fails
            // that test, so whole vectors of it are skipped at once.
            float threshold = scores[result[0]];
            while (i < scores.Length)
            {
                if (Vector512.IsHardwareAccelerated && i <= scores.Length - Vector512<float>.Count)
                {
                    if (!Vector512.GreaterThanAny(Vector512.Create(scores.Slice(i, Vector512<float>.Count)), Vector512.Create(threshold)))
                    {
                        i += Vector512<float>.Count;
                        continue;
                    }
                    for (int end = i + Vector512<float>.Count; i < end; i++) Consider(i, scores, result, k, ref threshold);
                    continue;
                }
                if (Vector256.IsHardwareAccelerated && i <= scores.Length - Vector256<float>.Count)
                {
                    if (!Vector256.GreaterThanAny(Vector256.Create(scores.Slice(i, Vector256<float>.Count)), Vector256.Create(threshold)))
                    {
                        i += Vector256<float>.Count;
                        continue;
                    }
                    for (int end = i + Vector256<float>.Count; i < end; i++) Consider(i, scores, result, k, ref threshold);
                    continue;
                }
                Consider(i, scores, result, k, ref threshold);
                i++;
            }
        }
        // Heap-sort the kept items into descending order.
        for (int end = size - 1; end > 0; end--)
        {
            (result[0], result[end]) = (result[end], result[0]);
            SiftDown(result, 0, end, scores);
        }
        return size;
    }

    private static void Consider(int i, ReadOnlySpan<float> scores, Span<int> heap, int size, ref float threshold)
    {
        if (!(scores[i] > threshold)) return;
        heap[0] = i;
        SiftDown(heap, 0, size, scores);
        threshold = scores[heap[0]];
    }

    /// <summary>True when item a ranks above item b.</summary>
    private static bool Better(int a, int b, ReadOnlySpan<float> scores) =>
        scores[a] > scores[b] || (scores[a] == scores[b] && a < b);

    private static void SiftUp(Span<int> heap, int i, ReadOnlySpan<float> scores)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Better(heap[parent], heap[i], scores)) break;
            (heap[parent], heap[i]) = (heap[i], heap[parent]);
            i = parent;
        }
    }

    private static void SiftDown(Span<int> heap, int i, int size, ReadOnlySpan<float> scores)
    {
        while (true)
        {
            int worst = i, left = 2 * i + 1, right = left + 1;
            if (left < size && Better(heap[worst], heap[left], scores)) worst = left;
            if (right < size && Better(heap[worst], heap[right], scores)) worst = right;
            if (worst == i) return;
            (heap[worst], heap[i]) = (heap[i], heap[worst]);
            i = worst;
        }
    }
}
