using System.Runtime.Intrinsics.X86;
using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Serving;

namespace VaeCf.Tests;

/// <summary>
/// The screened output layer must give exactly what full scoring gives: its bounds must hold for
/// every item, and its top k (items, order, scores to the bit) must be full scoring's, ties and
/// exclusions included, with AVX-VNNI's byte products and with AVX-512BW's. On a CPU without AVX-512 or
/// without both there is no screened layer and
/// these tests check that (serving then always scores in full).
/// </summary>
public class ScreenedOutputLayerTests(ServingFixture model) : IClassFixture<ServingFixture>
{
    private static bool Available => ScreenedOutputLayer.Supported;

    /// <summary>null: the CPU's best byte products; false: AVX-512BW's even where AVX-VNNI exists (then both are tested).</summary>
    private static ScreenedOutputLayer? Create(AutoencoderNetwork network, bool bytePairs) =>
        ScreenedOutputLayer.TryCreate(network, bytePairs && AvxVnni.IsSupported ? false : null);

    private sealed record Case(AutoencoderNetwork Network, CsrMatrix Histories, float[] Hidden, float[] Scores, int Depth);

    /// <summary>An untrained network, random histories, their output-layer inputs and the network's own scores.</summary>
    private static Case Build(int rows, int hidden, int items, int seed, Action<AutoencoderNetwork>? edit = null)
    {
        var network = new AutoencoderNetwork(new ModelConfig { ItemCount = items, PDims = [8, hidden] }, new GemmEngine(2));
        network.Initialize(seed);
        edit?.Invoke(network);
        var histories = SyntheticClicks.Generate(rows, items, meanClicksPerUser: 12, seed: seed + 1);
        var ws = network.CreateWorkspace(rows);
        network.ForwardHidden(ws, histories, ws.RowRange(0, rows));
        var input = network.OutputLayerInput(ws, rows).ToArray();
        var scores = new float[rows * items];
        network.Score(histories, 0, rows, scores);
        return new Case(network, histories, input, scores, hidden);
    }

    [Theory]
    [InlineData(1, 398, 2000, 3)]  // depth not a multiple of 4; two depth blocks, the bias in the second
    [InlineData(16, 401, 1000, 5)] // the most rows a pass screens
    [InlineData(5, 37, 333, 7)]    // one depth block, a partial last panel
    [InlineData(1, 398, 2000, 3, true)]
    [InlineData(6, 401, 1000, 5, true)] // one tile of four rows, then two alone
    public void EveryExactScoreLiesWithinItsBounds(int rows, int hidden, int items, int seed, bool bytePairs = false)
    {
        var c = Build(rows, hidden, items, seed);
        var screened = Create(c.Network, bytePairs);
        Assert.Equal(Available, screened is not null);
        if (screened is null) return;
        screened.Screen(c.Hidden, rows);
        var lower = new float[items];
        var upper = new float[items];
        double width = 0, spread = 0;
        for (int r = 0; r < rows; r++)
        {
            Assert.True(screened.TryGetBounds(r, lower, upper));
            var exact = c.Scores.AsSpan(r * items, items);
            for (int j = 0; j < items; j++)
            {
                Assert.True(lower[j] <= exact[j] && exact[j] <= upper[j], $"row {r}, item {j}: {exact[j]} outside [{lower[j]}, {upper[j]}]");
                width += upper[j] - lower[j];
            }
            spread += exact.ToArray().Max() - exact.ToArray().Min();
        }
        // Bounds that hold only because they are huge would prune nothing.
        Assert.True(width / (rows * items) < 0.5 * spread / rows, $"mean bound width {width / (rows * items)} against score range {spread / rows}");
    }

    [Theory]
    [InlineData(1, 398, 2000, 100)]
    [InlineData(7, 64, 1000, 10)]
    [InlineData(16, 401, 1000, 1)]
    [InlineData(7, 64, 1000, 10, true)]
    [InlineData(1, 398, 2000, 100, true)]
    public void TopKIsFullScoringsToTheBitAndPrunes(int rows, int hidden, int items, int k, bool bytePairs = false)
    {
        var c = Build(rows, hidden, items, seed: rows + hidden);
        var screened = Create(c.Network, bytePairs);
        if (screened is null) { Assert.False(Available); return; }
        screened.Screen(c.Hidden, rows);
        var random = new Random(11);
        for (int r = 0; r < rows; r++)
        {
            var history = c.Histories.RowIndices(r).ToArray();
            int[] extra = Enumerable.Range(0, 20).Select(_ => random.Next(items)).Distinct().Order().ToArray();
            var masked = c.Scores.AsSpan(r * items, items).ToArray();
            foreach (int j in history) masked[j] = float.NegativeInfinity;
            foreach (int j in extra) masked[j] = float.NegativeInfinity;
            var expected = new int[k];
            Assert.Equal(k, TopK.Select(masked, k, expected));

            var top = new int[k];
            var scores = new float[k];
            int found = screened.SelectTop(r, c.Hidden.AsSpan(r * hidden, hidden), k, history, extra, top, scores, out int candidates);
            Assert.Equal(k, found);
            Assert.Equal(expected, top);
            Assert.Equal(expected.Select(j => masked[j]), scores);
            Assert.InRange(candidates, k, items / 4);
        }
    }

    [Fact]
    public void TiesBreakTowardsTheLowerItemAsInFullScoring()
    {
        const int items = 640, hidden = 48, rows = 4, k = 9; // odd k: the last place splits a tied pair
        // Every odd item a copy of the even one before it: equal weights, equal bias, equal scores to the bit.
        var c = Build(rows, hidden, items, seed: 21, edit: network =>
        {
            int last = network.LayerCount - 1;
            var weight = network.Parameters.View(network.WeightSlot(last));
            var bias = network.Parameters.View(network.BiasSlot(last));
            for (int j = 0; j + 1 < items; j += 2)
            {
                for (int p = 0; p < hidden; p++) weight[p * items + j + 1] = weight[p * items + j];
                bias[j + 1] = bias[j];
            }
        });
        var screened = ScreenedOutputLayer.TryCreate(c.Network);
        if (screened is null) { Assert.False(Available); return; }
        screened.Screen(c.Hidden, rows);
        for (int r = 0; r < rows; r++)
        {
            var row = c.Scores.AsSpan(r * items, items).ToArray();
            Assert.Equal(row[0], row[1]);
            var expected = new int[k];
            TopK.Select(row, k, expected);
            var top = new int[k];
            var scores = new float[k];
            Assert.Equal(k, screened.SelectTop(r, c.Hidden.AsSpan(r * hidden, hidden), k, [], [], top, scores, out _));
            Assert.Equal(expected, top);
            Assert.Equal(0, expected[^1] % 2); // the pair at the cut kept its lower item only
        }
    }

    [Fact]
    public void RowsItCannotScreenAreLeftToFullScoring()
    {
        const int items = 500, hidden = 24, rows = 2;
        var c = Build(rows, hidden, items, seed: 31);
        var screened = ScreenedOutputLayer.TryCreate(c.Network);
        if (screened is null) { Assert.False(Available); return; }
        var poisoned = (float[])c.Hidden.Clone();
        poisoned[hidden + 3] = float.NaN; // row 1
        screened.Screen(poisoned, rows);
        var top = new int[10];
        var scores = new float[10];
        Assert.Equal(10, screened.SelectTop(0, poisoned.AsSpan(0, hidden), 10, [], [], top, scores, out _));
        Assert.Equal(-1, screened.SelectTop(1, poisoned.AsSpan(hidden, hidden), 10, [], [], top, scores, out _));
        // Fewer than k items left once exclusions are taken out.
        var allButFive = Enumerable.Range(5, items - 5).ToArray();
        Assert.Equal(-1, screened.SelectTop(0, poisoned.AsSpan(0, hidden), 10, allButFive, [], top, scores, out _));
    }

    [Fact]
    public void RecommenderAnswersSmallPassesThroughTheScreenWithFullScoringsRanking()
    {
        // 160 items: k = 5 is screened (at most one item in 16), k = 80 is scored in full; the
        // screened top 5 must be the first 5 of the full ranking, scores included, for the trained
        // fixture model, a lone request and a micro-batch alike, with and without exclusions.
        var recommender = model.NewRecommender();
        var requests = Enumerable.Range(0, 12).Select(row => new RecommendationRequest(model.TrainHistory(row), 5)
        {
            Exclude = row % 3 == 0 ? [model.Data.ItemIds[row], model.Data.ItemIds[row + 40]] : null,
            ExcludeHistory = row % 4 != 1,
        }).ToArray();
        var full = recommender.RecommendBatch(requests.Select(q => q with { K = 80 }).ToArray());
        var batched = recommender.RecommendBatch(requests);
        for (int i = 0; i < requests.Length; i++)
        {
            var lone = recommender.Recommend(requests[i]);
            Assert.Equal(full[i].Items.Take(5), lone.Items);
            Assert.Equal(full[i].Items.Take(5), batched[i].Items);
        }
    }
}
