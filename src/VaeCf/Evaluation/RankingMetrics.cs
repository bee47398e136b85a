namespace VaeCf.Evaluation;

/// <summary>
/// Per-user ranking metrics with binary relevance, exactly as docs/protocol.md defines them.
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

    /// <summary>How many of the first <paramref name="k"/> of <paramref name="ranked"/> are in <paramref name="targets"/> (sorted ascending).</summary>
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

    /// <summary>Precision@k: hits@k / k (a ranking shorter than k still divides by k).</summary>
    public static double Precision(ReadOnlySpan<int> ranked, ReadOnlySpan<int> targets, int k) =>
        targets.IsEmpty ? double.NaN : (double)Hits(ranked, targets, k) / k;

    /// <summary>HitRate@k: 1 when at least one target is in the top k, else 0.</summary>
    public static double HitRate(ReadOnlySpan<int> ranked, ReadOnlySpan<int> targets, int k) =>
        targets.IsEmpty ? double.NaN : Hits(ranked, targets, k) > 0 ? 1 : 0;

    /// <summary>Reciprocal rank: 1 / (rank of the first target in the top k), 0 when none is there.</summary>
    public static double ReciprocalRank(ReadOnlySpan<int> ranked, ReadOnlySpan<int> targets, int k)
    {
        if (targets.IsEmpty) return double.NaN;
        int depth = Math.Min(k, ranked.Length);
        for (int r = 0; r < depth; r++)
            if (targets.BinarySearch(ranked[r]) >= 0) return 1.0 / (r + 1);
        return 0;
    }

    /// <summary>
    /// Average precision@k: the sum of precision@r over the ranks r &lt;= k that hold a target,
    /// divided by min(k, |targets|), the most hits the top k can hold (as the paper's recall), so a
    /// perfect ranking scores 1. The mean over users is MAP@k.
    /// </summary>
    public static double AveragePrecision(ReadOnlySpan<int> ranked, ReadOnlySpan<int> targets, int k)
    {
        if (targets.IsEmpty) return double.NaN;
        int depth = Math.Min(k, ranked.Length), hits = 0;
        double sum = 0;
        for (int r = 0; r < depth; r++)
            if (targets.BinarySearch(ranked[r]) >= 0) sum += (double)++hits / (r + 1);
        return sum / Math.Min(k, targets.Length);
    }

    /// <summary>The per-user value of <paramref name="metric"/>; item coverage is not per user (see <see cref="ItemCoverage"/>).</summary>
    public static double PerUser(MetricSpec metric, ReadOnlySpan<int> ranked, ReadOnlySpan<int> targets) => metric.Kind switch
    {
        MetricKind.Ndcg => Ndcg(ranked, targets, metric.K),
        MetricKind.Recall => Recall(ranked, targets, metric.K),
        MetricKind.StandardRecall => StandardRecall(ranked, targets, metric.K),
        MetricKind.Precision => Precision(ranked, targets, metric.K),
        MetricKind.HitRate => HitRate(ranked, targets, metric.K),
        MetricKind.ReciprocalRank => ReciprocalRank(ranked, targets, metric.K),
        MetricKind.AveragePrecision => AveragePrecision(ranked, targets, metric.K),
        _ => double.NaN,
    };
}

/// <summary>
/// Item coverage@k, a catalogue-level metric: the share of all items that appear in at least one
/// evaluated user's top k. Users are marked from any number of threads at once: every write stores
/// the same <c>true</c>, so the result does not depend on their order.
/// </summary>
public sealed class ItemCoverage(int items, int k)
{
    private readonly bool[] _seen = new bool[items];

    /// <summary>The cutoff: an item counts when it is in some user's top <see cref="K"/>.</summary>
    public int K { get; } = k;

    /// <summary>Marks the first <see cref="K"/> items of one user's ranking as covered.</summary>
    public void Mark(ReadOnlySpan<int> ranked)
    {
        foreach (int item in ranked[..Math.Min(K, ranked.Length)]) _seen[item] = true;
    }

    /// <summary>Items in at least one marked top k.</summary>
    public int ItemsCovered => _seen.Count(seen => seen);

    /// <summary>Items covered by any process's users (every process ends with the union).</summary>
    public void CombineAcross(Distributed.ICommunicator communicator)
    {
        var counts = new double[_seen.Length];
        for (int i = 0; i < counts.Length; i++) counts[i] = _seen[i] ? 1 : 0;
        communicator.Sum(counts);
        for (int i = 0; i < counts.Length; i++) _seen[i] = counts[i] > 0;
    }

    /// <summary><see cref="ItemsCovered"/> over the catalogue size (NaN for an empty catalogue).</summary>
    public double Share => _seen.Length == 0 ? double.NaN : (double)ItemsCovered / _seen.Length;
}
