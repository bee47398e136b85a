using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;

namespace VaeCf.Tests;

/// <summary>Precision, MAP, MRR, HitRate and item coverage against examples worked by hand.</summary>
public class MoreMetricsTests
{
    // The ranking of MetricsTests.NdcgByHand: targets 7 and 5 sit at ranks 1 and 3; target 4 is not ranked.
    private static readonly int[] Ranked = [7, 2, 5, 9, 1];
    private static readonly int[] Targets = [4, 5, 7];

    [Fact]
    public void PrecisionDividesHitsByK()
    {
        Assert.Equal(2.0 / 5, RankingMetrics.Precision(Ranked, Targets, 5), 12);    // hits at ranks 1, 3
        Assert.Equal(1.0 / 2, RankingMetrics.Precision(Ranked, Targets, 2), 12);    // rank 1 only
        Assert.Equal(2.0 / 10, RankingMetrics.Precision(Ranked, Targets, 10), 12);  // a short ranking still divides by k
        Assert.True(double.IsNaN(RankingMetrics.Precision(Ranked, [], 5)));
    }

    [Fact]
    public void HitRateIsWhetherAnyTargetIsInTheTopK()
    {
        Assert.Equal(1.0, RankingMetrics.HitRate(Ranked, Targets, 1));
        Assert.Equal(0.0, RankingMetrics.HitRate([2, 9, 5], Targets, 2));  // 5 is at rank 3
        Assert.Equal(1.0, RankingMetrics.HitRate([2, 9, 5], Targets, 3));
    }

    [Fact]
    public void ReciprocalRankIsOneOverTheFirstHitsRank()
    {
        Assert.Equal(1.0, RankingMetrics.ReciprocalRank(Ranked, Targets, 5));
        Assert.Equal(1.0 / 3, RankingMetrics.ReciprocalRank([2, 9, 5, 7], Targets, 5), 12); // first hit 5 at rank 3
        Assert.Equal(0.0, RankingMetrics.ReciprocalRank([2, 9, 5, 7], Targets, 2));         // cut before it
    }

    [Fact]
    public void AveragePrecisionByHand()
    {
        // k = 5: precision 1/1 at rank 1 and 2/3 at rank 3, summed 5/3, over min(5, 3 targets) = 3 -> 5/9.
        Assert.Equal(5.0 / 9, RankingMetrics.AveragePrecision(Ranked, Targets, 5), 12);
        // k = 2: precision 1 at rank 1, over min(2, 3) = 2 -> 1/2.
        Assert.Equal(0.5, RankingMetrics.AveragePrecision(Ranked, Targets, 2), 12);
        // One target at rank 2: (1/2) / 1.
        Assert.Equal(0.5, RankingMetrics.AveragePrecision([8, 4, 9], [4], 10), 12);
        // A perfect ranking scores 1 even with more targets than k.
        Assert.Equal(1.0, RankingMetrics.AveragePrecision([3, 1], [1, 2, 3, 4], 2), 12);
    }

    [Fact]
    public void ParsingKnowsEveryNameAndKeepsThePaperDefaults()
    {
        Assert.Equal(new MetricSpec(MetricKind.Precision, 10), MetricSpec.Parse("Precision@10"));
        Assert.Equal(new MetricSpec(MetricKind.AveragePrecision, 20), MetricSpec.Parse("map@20"));
        Assert.Equal(new MetricSpec(MetricKind.ReciprocalRank, 5), MetricSpec.Parse("mrr@5"));
        Assert.Equal(new MetricSpec(MetricKind.ReciprocalRank, MetricSpec.NoCutoff), MetricSpec.Parse("mrr"));
        Assert.Equal(new MetricSpec(MetricKind.HitRate, 10), MetricSpec.Parse("hr@10"));
        Assert.Equal(new MetricSpec(MetricKind.Coverage, 100), MetricSpec.Parse("coverage@100"));
        Assert.Equal(["NDCG@100", "Recall@20", "Recall@50"], MetricSpec.Paper.Select(m => m.Name));
        Assert.Equal("MRR", MetricSpec.Parse("mrr").Name);
        Assert.Equal("MAP@20", MetricSpec.Parse("map@20").Name);
        Assert.Throws<VaeCfException>(() => MetricSpec.Parse("precision"));   // only MRR goes without a cutoff
        Assert.Throws<VaeCfException>(() => MetricSpec.Parse("auc@10"));
    }

    /// <summary>
    /// Four users over six items, nothing folded in:
    ///   user 0 ranks 0 1 4 3 2 5, target {4}    -> first hit at rank 3
    ///   user 1 ranks 1 2 5 4 0 3, target {3}    -> first hit at rank 6
    ///   user 2 ranks 0 3 5 4 2 1, targets {0,5} -> hits at ranks 1 and 3
    ///   user 3 ranks 5 4 0 1 2 3, no targets    -> left out of every metric, coverage included
    /// </summary>
    [Fact]
    public void EvaluatorAveragesTheNewMetricsAndCountsCoverageOverTheCatalogue()
    {
        float[][] scores =
        [
            [0.9f, 0.8f, 0.1f, 0.2f, 0.3f, 0.0f],
            [0.1f, 0.9f, 0.8f, 0.0f, 0.2f, 0.3f],
            [0.9f, 0.0f, 0.1f, 0.8f, 0.2f, 0.3f],
            [0f, 0f, 0f, 0f, 0.5f, 0.9f],
        ];
        var foldIn = CsrMatrix.FromRows(6, new[] { Array.Empty<int>(), Array.Empty<int>(), Array.Empty<int>(), Array.Empty<int>() });
        var targets = CsrMatrix.FromRows(6, new[] { new[] { 4 }, new[] { 3 }, new[] { 0, 5 }, Array.Empty<int>() });
        var metrics = new[] { "precision@3", "map@3", "mrr", "mrr@2", "hitrate@3", "coverage@2" }.Select(MetricSpec.Parse).ToList();
        var result = new Evaluator(batchSize: 3, threads: 2).Evaluate(new FixedScorer(scores), foldIn, targets, metrics);

        Assert.Equal(3, result.UsersEvaluated);
        // Precision@3: 1/3, 0, 2/3 -> 1/3.
        Assert.Equal(1.0 / 3, result[metrics[0]], 12);
        // MAP@3: (1/3)/min(3,1) = 1/3; 0; (1 + 2/3)/min(3,2) = 5/6 -> (1/3 + 5/6) / 3 = 7/18.
        Assert.Equal(7.0 / 18, result[metrics[1]], 12);
        // MRR over every item: 1/3, 1/6, 1 -> 1/2. With a cutoff at 2 only user 2 counts: 1/3.
        Assert.Equal(0.5, result[metrics[2]], 12);
        Assert.Equal(1.0 / 3, result[metrics[3]], 12);
        // HitRate@3: 1, 0, 1 -> 2/3.
        Assert.Equal(2.0 / 3, result[metrics[4]], 12);
        // Coverage@2: top-2 sets {0,1}, {1,2}, {0,3} cover 4 of 6 items (user 3's {5,4} is not counted);
        // one number for the catalogue, so no standard error.
        Assert.Equal(4.0 / 6, result[metrics[5]], 12);
        Assert.True(double.IsNaN(result.Metrics[metrics[5]].StandardError));
    }

    [Fact]
    public void CoverageCountsEachItemOnceAndOnlyTheTopK()
    {
        var coverage = new ItemCoverage(items: 10, k: 2);
        coverage.Mark([3, 4, 5]);
        coverage.Mark([4, 3]);
        coverage.Mark([9]);
        Assert.Equal(3, coverage.ItemsCovered);   // 3, 4, 9: item 5 was at rank 3
        Assert.Equal(0.3, coverage.Share, 12);
    }

    private sealed class FixedScorer(float[][] rows) : IScorer
    {
        public int ItemCount => rows[0].Length;
        public void Score(CsrMatrix histories, int rowStart, int rowCount, Span<float> scores)
        {
            for (int r = 0; r < rowCount; r++) rows[rowStart + r].CopyTo(scores.Slice(r * ItemCount, ItemCount));
        }
    }
}
