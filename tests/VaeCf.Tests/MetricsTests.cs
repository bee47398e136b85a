using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;

namespace VaeCf.Tests;

/// <summary>Metrics against examples worked by hand from the definitions in docs/protocol.md.</summary>
public class MetricsTests
{
    private static double D(int rank) => 1.0 / Math.Log2(rank + 1);

    [Fact]
    public void NdcgByHand()
    {
        // Hits at ranks 1 and 3 out of 3 targets, k = 5: DCG = 1 + 1/log2(4); IDCG = 1 + 1/log2(3) + 1/log2(4).
        int[] ranked = [7, 2, 5, 9, 1];
        int[] targets = [4, 5, 7];
        double expected = (D(1) + D(3)) / (D(1) + D(2) + D(3));
        Assert.Equal(expected, RankingMetrics.Ndcg(ranked, targets, 5), 12);
    }

    [Fact]
    public void IdcgUsesOnlyMinOfTargetsAndK()
    {
        // 5 targets but k = 2: a perfect top-2 scores 1.
        int[] targets = [1, 2, 3, 4, 5];
        Assert.Equal(1.0, RankingMetrics.Ndcg([3, 1, 9], targets, 2), 12);
        // Fewer targets than k: IDCG stops at the number of targets.
        Assert.Equal(1.0, RankingMetrics.Ndcg([4, 8, 9, 10], [4], 100), 12);
        Assert.Equal(D(2) / D(1), RankingMetrics.Ndcg([8, 4, 9, 10], [4], 100), 12);
    }

    [Fact]
    public void RecallPaperAndStandard()
    {
        int[] ranked = [1, 2, 3, 4];
        int[] targets = [2, 4, 6, 8, 10, 12];
        // Two hits in the top 3... only item 2 is in the top 3 -> 1 hit.
        Assert.Equal(1.0 / 3, RankingMetrics.Recall(ranked, targets, 3), 12);
        Assert.Equal(1.0 / 6, RankingMetrics.StandardRecall(ranked, targets, 3), 12);
        // Fewer targets than k: paper's recall divides by n.
        Assert.Equal(1.0, RankingMetrics.Recall(ranked, [2, 4], 20), 12);
        Assert.Equal(1.0, RankingMetrics.StandardRecall(ranked, [2, 4], 20), 12);
        Assert.True(double.IsNaN(RankingMetrics.Recall(ranked, [], 20)));
        Assert.True(double.IsNaN(RankingMetrics.Ndcg(ranked, [], 20)));
    }

    [Fact]
    public void TopKBreaksTiesByLowerIndexAndSkipsMasked()
    {
        float[] scores = [0.5f, 0.9f, 0.5f, float.NegativeInfinity, 0.9f, 0.1f, float.NaN];
        var result = new int[4];
        int n = TopK.Select(scores, 4, result);
        Assert.Equal(4, n);
        Assert.Equal(new[] { 1, 4, 0, 2 }, result);
        var all = new int[10];
        Assert.Equal(5, TopK.Select(scores, 10, all));
        Assert.Equal(new[] { 1, 4, 0, 2, 5 }, all[..5]);
    }

    [Fact]
    public void TopKMatchesFullSortOnRandomScores()
    {
        var rng = new Random(4);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = rng.Next(1, 1000), k = rng.Next(1, 120);
            // Rounded scores make ties common; some are masked (-inf) or NaN, as after fold-in exclusion.
            var scores = Enumerable.Range(0, n).Select(_ => rng.NextDouble() switch
            {
                < 0.05 => float.NegativeInfinity,
                < 0.07 => float.NaN,
                _ => (float)Math.Round(rng.NextDouble(), 2),
            }).ToArray();
            var expected = Enumerable.Range(0, n).Where(i => float.IsFinite(scores[i]))
                .OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
            var result = new int[k];
            int got = TopK.Select(scores, k, result);
            Assert.Equal(expected, result[..got]);
        }
    }

    /// <summary>Scores each item by a fixed vector, same for every user.</summary>
    private sealed class FixedScorer(float[] scores) : IScorer
    {
        public int ItemCount => scores.Length;
        public void Score(CsrMatrix histories, int rowStart, int rowCount, Span<float> output)
        {
            for (int r = 0; r < rowCount; r++) scores.CopyTo(output.Slice(r * ItemCount, ItemCount));
        }
    }

    [Fact]
    public void EvaluatorExcludesFoldInItemsAndUsersWithoutTargets()
    {
        // Item scores descend with the index: 0 is best.
        var scorer = new FixedScorer([6f, 5f, 4f, 3f, 2f, 1f]);
        var foldIn = CsrMatrix.FromRows(6, new[] { new[] { 0 }, new[] { 1, 2 }, new[] { 3 } });
        var targets = CsrMatrix.FromRows(6, new[] { new[] { 1 }, new[] { 0 }, Array.Empty<int>() });
        var result = new Evaluator(batchSize: 2, threads: 2).Evaluate(scorer, foldIn, targets,
            [new MetricSpec(MetricKind.Ndcg, 2), new MetricSpec(MetricKind.Recall, 1)]);
        // User 0: item 0 is folded in, so item 1 ranks first -> NDCG 1, recall@1 1.
        // User 1: items 1,2 folded in; item 0 ranks first -> NDCG 1.
        // User 2 has no targets: excluded, not NaN, and counted.
        Assert.Equal(2, result.UsersEvaluated);
        Assert.Equal(1, result.UsersWithoutTargets);
        Assert.Equal(1.0, result.Get(MetricKind.Ndcg, 2).Mean, 12);
        Assert.Equal(0.0, result.Get(MetricKind.Ndcg, 2).StandardError, 12);
        Assert.Equal(1.0, result.Get(MetricKind.Recall, 1).Mean, 12);
    }

    [Fact]
    public void EvaluatorMeanAndStandardErrorByHand()
    {
        var scorer = new FixedScorer([4f, 3f, 2f, 1f]);
        var foldIn = CsrMatrix.FromRows(4, new[] { Array.Empty<int>(), Array.Empty<int>() });
        // User 0's target at rank 1 (NDCG 1); user 1's at rank 3 (NDCG 1/log2(4) = 0.5).
        var targets = CsrMatrix.FromRows(4, new[] { new[] { 0 }, new[] { 2 } });
        var result = new Evaluator().Evaluate(scorer, foldIn, targets, [new MetricSpec(MetricKind.Ndcg, 4)]);
        var v = result.Get(MetricKind.Ndcg, 4);
        Assert.Equal(0.75, v.Mean, 12);
        // Population std of {1, 0.5} is 0.25; divided by sqrt(2).
        Assert.Equal(0.25 / Math.Sqrt(2), v.StandardError, 12);
    }

    [Theory]
    [InlineData("ndcg@100", MetricKind.Ndcg, 100)]
    [InlineData("Recall@20", MetricKind.Recall, 20)]
    [InlineData("stdrecall@5", MetricKind.StandardRecall, 5)]
    public void MetricNamesParse(string text, MetricKind kind, int k) => Assert.Equal(new MetricSpec(kind, k), MetricSpec.Parse(text));

    [Theory]
    [InlineData("ndcg")]
    [InlineData("ndcg@0")]
    [InlineData("auc@10")]
    [InlineData("precision")]
    public void BadMetricNamesAreRejected(string text) => Assert.Throws<VaeCfException>(() => MetricSpec.Parse(text));
}
