namespace VaeCf.Evaluation;

/// <summary>
/// Per-user ranking metrics with binary relevance, exactly as PROTOCOL.md defines them.
/// <c>ranked</c> is the model's ranking (best first, fold-in items already removed);
/// <c>targets</c> the user's held-out items, sorted ascending.
/// </summary>
public static class RankingMetrics
{
    /// <summary>DCG@k / IDCG@k with IDCG over min(|targets|, k) positions. Undefined (NaN) without targets.</summary>
    public static double Ndcg(ReadOnlySpan<int> ranked, ReadOnlySpan<int> targets, int k)
    {
        if (targets.IsEmpty) return double.NaN;
        double dcg = 0;
        int depth = Math.Min(k, ranked.Length);
        for (int r = 0; r < depth; r++)
            if (targets.BinarySearch(ranked[r]) >= 0) dcg += 1.0 / Math.Log2(r + 2);
        double idcg = 0;
        for (int r = 0; r < Math.Min(targets.Length, k); r++) idcg += 1.0 / Math.Log2(r + 2);
        return dcg / idcg;
    }

    public static int Hits(ReadOnlySpan<int> ranked, ReadOnlySpan<int> targets, int k)
    {
        int hits = 0, depth = Math.Min(k, ranked.Length);
        for (int r = 0; r < depth; r++) if (targets.BinarySearch(ranked[r]) >= 0) hits++;
        return hits;
    }

    /// <summary>The paper's recall: hits@k / min(k, |targets|), so a perfect ranking scores 1 even when |targets| &gt; k.</summary>
    public static double Recall(ReadOnlySpan<int> ranked, ReadOnlySpan<int> targets, int k) =>
        targets.IsEmpty ? double.NaN : (double)Hits(ranked, targets, k) / Math.Min(k, targets.Length);

    /// <summary>Textbook recall: hits@k / |targets|.</summary>
    public static double StandardRecall(ReadOnlySpan<int> ranked, ReadOnlySpan<int> targets, int k) =>
        targets.IsEmpty ? double.NaN : (double)Hits(ranked, targets, k) / targets.Length;
}
