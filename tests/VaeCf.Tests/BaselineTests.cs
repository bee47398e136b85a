using VaeCf.Baselines;
using VaeCf.Data;
using VaeCf.Numerics;

namespace VaeCf.Tests;

public class BaselineTests
{
    private static readonly GemmEngine Gemm = new(threads: 2);

    private static CsrMatrix RandomClicks(int users, int items, double density, int seed)
    {
        var rng = new Random(seed);
        var rows = new List<int[]>();
        for (int u = 0; u < users; u++)
            rows.Add(Enumerable.Range(0, items).Where(_ => rng.NextDouble() < density).ToArray());
        return CsrMatrix.FromRows(items, rows);
    }

    private static double[] DenseGram(CsrMatrix x)
    {
        int n = x.Columns;
        var g = new double[n * n];
        for (int u = 0; u < x.Rows; u++)
        {
            int start = x.RowPointers[u], end = x.RowPointers[u + 1];
            for (int p = start; p < end; p++)
            for (int q = start; q < end; q++)
                g[x.ColumnIndices[p] * n + x.ColumnIndices[q]] += (double)x.ValueAt(p) * x.ValueAt(q);
        }
        return g;
    }

    /// <summary>Steck's closed form evaluated in double with an independent inverse.</summary>
    private static double[] ReferenceWeights(CsrMatrix x, double lambda)
    {
        int n = x.Columns;
        double[] g = DenseGram(x);
        for (int i = 0; i < n; i++) g[i * n + i] += lambda;
        double[] p = CholeskyTests.DirectInverse(g, n);
        var b = new double[n * n];
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            b[i * n + j] = i == j ? 0 : -p[i * n + j] / p[j * n + j];
        return b;
    }

    private static double MaxAbs(IEnumerable<double> values) => values.Select(Math.Abs).DefaultIfEmpty(0).Max();

    [Fact]
    public void PopularityScoresAreTrainingClickCountsForEveryUser()
    {
        var train = CsrMatrix.FromRows(4, new[] { new[] { 0, 2 }, new[] { 2 }, new[] { 2, 3 }, Array.Empty<int>() });
        var model = PopularityScorer.Fit(train);
        Assert.Equal(new[] { 1f, 0f, 3f, 1f }, model.Counts);
        Assert.Equal(4, model.ItemCount);

        var scores = new float[2 * 4];
        model.Score(train, 2, 2, scores);
        Assert.Equal(new[] { 1f, 0f, 3f, 1f, 1f, 0f, 3f, 1f }, scores);

        var restored = new PopularityScorer((float[])model.Counts.Clone());
        var again = new float[8];
        restored.Score(train, 0, 2, again);
        Assert.Equal(scores, again);
    }

    [Fact]
    public void ScorersRejectHistoriesOverAnotherCatalogue()
    {
        var model = new PopularityScorer(new float[] { 1, 2, 3 });
        var other = CsrMatrix.FromRows(4, new[] { new[] { 1 } });
        Assert.Throws<VaeCfException>(() => model.Score(other, 0, 1, new float[4]));
    }

    [Fact]
    public void GramLowerTriangleMatchesDenseProductIncludingWeights()
    {
        var binary = RandomClicks(30, 9, 0.4, seed: 1);
        var weighted = new CsrMatrix(binary.Rows, binary.Columns, binary.RowPointers, binary.ColumnIndices,
            Enumerable.Range(0, binary.NonZeros).Select(i => 0.5f + i % 3).ToArray());
        foreach (var x in new[] { binary, weighted })
        {
            int n = x.Columns;
            var gram = new float[n * n];
            EaseScorer.AccumulateGramLower(x, gram, lambda: 7f, threads: 2);
            double[] expected = DenseGram(x);
            for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                Assert.Equal(expected[i * n + j] + (i == j ? 7 : 0), gram[i * n + j], 4);
        }
    }

    [Theory]
    [InlineData(60, 12, 0.3, 3f, 256)]
    [InlineData(400, 90, 0.15, 10f, 16)] // several blocks: the blocked Cholesky path
    public void EaseMatchesDoublePrecisionClosedForm(int users, int items, double density, float lambda, int blockSize)
    {
        var x = RandomClicks(users, items, density, seed: items);
        var model = EaseScorer.Fit(x, new EaseOptions { Lambda = lambda, BlockSize = blockSize }, Gemm);
        double[] reference = ReferenceWeights(x, lambda);

        double scale = MaxAbs(reference);
        for (int i = 0; i < items; i++) Assert.Equal(0f, model.Weights[i * items + i]);
        double worst = MaxAbs(reference.Select((r, k) => r - model.Weights[k]));
        Assert.True(worst < 1e-4 * scale, $"max |B - B_ref| = {worst}, scale {scale}");
    }

    /// <summary>
    /// The defining property, checked without the P formula: column j of B minimises
    /// ||X_j - X b||^2 + lambda ||b||^2 subject to b_j = 0, i.e. the normal equations
    /// ((X^T X + lambda I) b)_i = (X^T X)_ij hold for every i != j.
    /// </summary>
    [Fact]
    public void EaseColumnsSatisfyTheConstrainedNormalEquations()
    {
        const int items = 15;
        const float lambda = 2f;
        var x = RandomClicks(80, items, 0.35, seed: 42);
        var model = EaseScorer.Fit(x, new EaseOptions { Lambda = lambda, BlockSize = 4 }, Gemm);
        double[] g = DenseGram(x);

        for (int j = 0; j < items; j++)
        {
            double worst = 0, scale = 0;
            for (int i = 0; i < items; i++)
            {
                if (i == j) continue;
                double lhs = lambda * model.Weights[i * items + j];
                for (int k = 0; k < items; k++) lhs += g[i * items + k] * model.Weights[k * items + j];
                worst = Math.Max(worst, Math.Abs(lhs - g[i * items + j]));
                scale = Math.Max(scale, Math.Abs(g[i * items + j]));
            }
            Assert.True(worst < 1e-4 * Math.Max(scale, 1), $"column {j}: normal-equation residual {worst}");

            // The same column from a direct solve of the reduced system (row and column j removed).
            int m = items - 1;
            var reduced = new double[m * m];
            var rhs = new double[m];
            for (int r = 0, rr = 0; r < items; r++)
            {
                if (r == j) continue;
                rhs[rr] = g[r * items + j];
                for (int c = 0, cc = 0; c < items; c++)
                {
                    if (c == j) continue;
                    reduced[rr * m + cc++] = g[r * items + c] + (r == c ? lambda : 0);
                }
                rr++;
            }
            double[] inverse = CholeskyTests.DirectInverse(reduced, m);
            for (int r = 0, rr = 0; r < items; r++)
            {
                if (r == j) continue;
                double b = 0;
                for (int c = 0; c < m; c++) b += inverse[rr * m + c] * rhs[c];
                Assert.True(Math.Abs(b - model.Weights[r * items + j]) < 1e-4, $"B[{r},{j}] = {model.Weights[r * items + j]}, direct {b}");
                rr++;
            }
        }
    }

    [Fact]
    public void EaseScoresAreHistoryTimesWeightsAndSurviveARebuild()
    {
        var x = RandomClicks(50, 10, 0.3, seed: 5);
        var model = EaseScorer.Fit(x, new EaseOptions { Lambda = 5f }, Gemm);
        int n = model.ItemCount;
        var scores = new float[3 * n];
        model.Score(x, 4, 3, scores);
        for (int r = 0; r < 3; r++)
        for (int j = 0; j < n; j++)
        {
            float expected = 0;
            foreach (int i in x.RowIndices(4 + r)) expected += model.Weights[i * n + j];
            Assert.Equal(expected, scores[r * n + j], 5);
        }

        var restored = new EaseScorer(n, (float[])model.Weights.Clone(), model.Lambda);
        Assert.Null(restored.FitTimings);
        var again = new float[3 * n];
        restored.Score(x, 4, 3, again);
        Assert.Equal(scores, again);
        Assert.Throws<VaeCfException>(() => new EaseScorer(n, new float[n * n - 1], 5f));
    }

    [Fact]
    public void EaseFitIsDeterministic()
    {
        var x = SyntheticClicks.Generate(300, 120, meanClicksPerUser: 10);
        var options = new EaseOptions { Lambda = 20f, BlockSize = 32 };
        var first = EaseScorer.Fit(x, options, Gemm);
        var second = EaseScorer.Fit(x, options, Gemm);
        Assert.Equal(first.Weights, second.Weights);
    }

    [Fact]
    public void EaseReportsItsMemoryNeedAndRefusesWhenItWouldNotFit()
    {
        var plan = EaseScorer.PlanMemory(20_000, 10_000_000, options: new EaseOptions { MemoryLimitBytes = 1L << 30 });
        Assert.True(plan.RequiredBytes >= 4L * 20_000 * 20_000);
        Assert.False(plan.Fits);
        Assert.Contains("20,000 items", plan.Describe());

        var x = RandomClicks(20, 50, 0.2, seed: 3);
        var events = new List<EaseFitEvent>();
        var error = Assert.Throws<VaeCfException>(() =>
            EaseScorer.Fit(x, new EaseOptions { MemoryLimitBytes = 1000 }, Gemm, events.Add));
        Assert.Contains("Not enough memory for EASE", error.Message);
        Assert.Contains("50 items", error.Message);
        Assert.Contains("available", error.Message);
        Assert.Empty(events);

        var fitted = EaseScorer.Fit(x, new EaseOptions(), Gemm, events.Add);
        Assert.Equal(EaseFitStage.Planned, events[0].Stage);
        Assert.Contains("50 items", events[0].Message);
        Assert.Equal(EaseFitStage.WeightsReady, events[^1].Stage);
        Assert.NotNull(fitted.FitTimings);
    }

    [Fact]
    public void EaseRejectsNonPositiveLambda()
    {
        var x = RandomClicks(10, 5, 0.5, seed: 9);
        Assert.Throws<VaeCfException>(() => EaseScorer.Fit(x, new EaseOptions { Lambda = 0f }, Gemm));
        Assert.Throws<VaeCfException>(() => EaseScorer.Fit(x, new EaseOptions { Lambda = float.NaN }, Gemm));
    }

    [Fact]
    public void EaseRefusesCataloguesBeyondOneArray()
    {
        var tooWide = new CsrMatrix(1, 50_000, new[] { 0, 0 }, Array.Empty<int>());
        var error = Assert.Throws<VaeCfException>(() => EaseScorer.Fit(tooWide, new EaseOptions { MemoryLimitBytes = long.MaxValue }, Gemm));
        Assert.Contains("46,340", error.Message);
    }
}
