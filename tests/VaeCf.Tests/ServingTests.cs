using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Serving;

namespace VaeCf.Tests;

public class ServingTests(ServingFixture model) : IClassFixture<ServingFixture>
{
    [Fact]
    public void TrainingUserGetsTheScoresEvaluationComputes()
    {
        var recommender = model.NewRecommender();
        for (int row = 0; row < 5; row++)
        {
            var expected = new float[ServingFixture.Items];
            model.Network.Score(model.Data.Train, row, 1, expected);
            Assert.Equal(expected, recommender.Score(model.TrainHistory(row)));

            // The ranking is the evaluator's: history masked to -inf, then top-k.
            var masked = (float[])expected.Clone();
            foreach (int c in model.Data.Train.RowIndices(row)) masked[c] = float.NegativeInfinity;
            var top = new int[20];
            int found = TopK.Select(masked, 20, top);
            var result = recommender.Recommend(model.TrainHistory(row), 20);
            Assert.Equal(top.Take(found).Select(c => model.Data.ItemIds[c]), result.Items.Select(i => i.Id));
            Assert.Equal(top.Take(found).Select(c => expected[c]), result.Items.Select(i => i.Score));
        }
    }

    [Fact]
    public void NewUserHistoryWorksAndIsExcluded()
    {
        var history = new[] { "100", "105", "230" };
        var result = model.NewRecommender().Recommend(history, 10);
        Assert.Equal(10, result.Items.Count);
        Assert.Empty(result.UnknownItems);
        Assert.DoesNotContain(result.Items, i => history.Contains(i.Id));
        Assert.True(result.Items.Zip(result.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score));
    }

    [Fact]
    public void ExclusionsHold()
    {
        var recommender = model.NewRecommender();
        var history = model.TrainHistory(0);
        var all = recommender.Recommend(history, ServingFixture.Items, excludeHistory: false);
        Assert.Equal(ServingFixture.Items, all.Items.Count);
        var exclude = all.Items.Take(3).Select(i => i.Id).Append("not-an-item").ToArray();
        var result = recommender.Recommend(history, ServingFixture.Items, excludeHistory: true, exclude: exclude);
        Assert.Equal(ServingFixture.Items - history.Length - exclude.Count(e => !history.Contains(e) && e != "not-an-item"), result.Items.Count);
        Assert.DoesNotContain(result.Items, i => history.Contains(i.Id) || exclude.Contains(i.Id));
        // Without history exclusion the history's items compete like any other.
        var kept = recommender.Recommend(history, 5, excludeHistory: false);
        Assert.Equal(all.Items.Take(5), kept.Items);
    }

    [Fact]
    public void UnknownIdsAreIgnoredAndReported()
    {
        var recommender = model.NewRecommender();
        var result = recommender.Recommend(["nope", "100", "nope", "x", "105"], 5);
        Assert.Equal(["nope", "x"], result.UnknownItems);
        Assert.Equal(2, result.UnknownCount);
        Assert.Equal(recommender.Recommend(["100", "105"], 5).Items, result.Items);
        // Only unknown IDs: answered like an empty history.
        Assert.Equal(recommender.Recommend([], 5).Items, recommender.Recommend(["a", "b"], 5).Items);
    }

    [Fact]
    public void EmptyHistoryGetsTheModelsPriorRanking()
    {
        var result = model.NewRecommender().Recommend([], 7);
        Assert.Equal(7, result.Items.Count);
        Assert.All(result.Items, i => Assert.True(float.IsFinite(i.Score)));
    }

    [Fact]
    public void DuplicateIdsCountOnce()
    {
        var recommender = model.NewRecommender();
        Assert.Equal(recommender.Score(["101", "140"]), recommender.Score(["140", "101", "101"]));
    }

    [Fact]
    public void BatchEqualsSingles()
    {
        var recommender = model.NewRecommender();
        var requests = Enumerable.Range(0, 300) // more than one score chunk
            .Select(u => new RecommendationRequest(model.TrainHistory(u % 150), 1 + u % 12) { ExcludeHistory = u % 3 != 0 })
            .ToArray();
        var batch = recommender.RecommendBatch(requests);
        for (int i = 0; i < requests.Length; i++)
            Assert.Equal(recommender.Recommend(requests[i]).Items, batch[i].Items);
    }

    [Fact]
    public async Task MicroBatchedConcurrentRequestsEqualUnbatched()
    {
        var recommender = model.NewRecommender();
        var requests = Enumerable.Range(0, 200).Select(u => new RecommendationRequest(model.TrainHistory(u % 150), 10)).ToArray();
        var expected = requests.Select(recommender.Recommend).ToArray();
        await using var batcher = new MicroBatcher(recommender, new MicroBatcherOptions { MaxBatch = 16, MaxWait = TimeSpan.FromMilliseconds(1) });
        var results = await Task.WhenAll(requests.Select(r => Task.Run(() => batcher.RecommendAsync(r))));
        for (int i = 0; i < requests.Length; i++) Assert.Equal(expected[i].Items, results[i].Items);
        Assert.Equal(200, batcher.Requests);
        Assert.True(batcher.Batches <= 200);
    }

    [Fact]
    public async Task ClosedLoopCallersStayInStepWithoutWaitingOutTheBound()
    {
        // 8 callers, each sending its next request when the last is answered. A pass waits for as
        // many requests as there are callers, not for a full batch (16): waiting for a full batch
        // would spend the whole 250 ms bound on each of the 20 rounds, 5 s in all. (Callers that
        // drift a round apart at the start cost a few bounded waits at the end, under 1 s.)
        await using var batcher = SlowBatcher(TimeSpan.FromMilliseconds(250));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        RunClosedLoop(batcher, callers: 8, rounds: 20, pauseBeforeRequest: _ => TimeSpan.Zero);
        Assert.Equal(160, batcher.Requests);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3.5), $"20 rounds took {clock.Elapsed.TotalSeconds:F1} s: passes waited out the bound.");
        Assert.True(batcher.Batches <= 80, $"{batcher.Batches} passes for 20 rounds of 8 callers: not in step.");
    }

    [Fact]
    public async Task ARoundArrivingOverLongerThanTheWaitStillFormsOnePass()
    {
        // 8 closed-loop callers; after each answer, caller i waits 3i ms before its next request, so
        // a round arrives over 21 ms in steps of 3 ms. The wait (10 ms) restarts with each arrival,
        // so the round is one pass; a bound counted from the first arrival would cut every round
        // into two passes, 40 for 20 rounds.
        await using var batcher = SlowBatcher(TimeSpan.FromMilliseconds(10));
        RunClosedLoop(batcher, callers: 8, rounds: 20, pauseBeforeRequest: caller => TimeSpan.FromMilliseconds(3 * caller));
        Assert.Equal(160, batcher.Requests);
        // A few rounds may split while the callers fall into step, or when the machine stalls a caller.
        Assert.True(batcher.Batches <= 28, $"{batcher.Batches} passes for 20 rounds of 8 staggered callers.");
    }

    /// <summary>
    /// A batcher (at most 16 per pass) over the fixture's model slowed to 20 ms per pass, so
    /// closed-loop callers' requests overlap as they would on a large model, even on a machine busy
    /// enough to start a caller's next request late.
    /// </summary>
    private MicroBatcher SlowBatcher(TimeSpan maxWait)
    {
        var fast = model.NewRecommender();
        var recommender = new Recommender(new SlowScorer(fast.Scorer, TimeSpan.FromMilliseconds(20)), fast.Manifest);
        return new MicroBatcher(recommender, new MicroBatcherOptions { MaxBatch = 16, MaxWait = maxWait });
    }

    /// <summary>
    /// Callers each sending a request, waiting for its answer, then pausing before the next. On
    /// their own threads: a lone request is scored on its caller's thread, which with pool threads
    /// would leave too few threads for the callers to overlap at all.
    /// </summary>
    private void RunClosedLoop(MicroBatcher batcher, int callers, int rounds, Func<int, TimeSpan> pauseBeforeRequest)
    {
        var threads = Enumerable.Range(0, callers).Select(caller => new Thread(() =>
        {
            for (int round = 0; round < rounds; round++)
            {
                Thread.Sleep(pauseBeforeRequest(caller));
                batcher.RecommendAsync(new RecommendationRequest(model.TrainHistory((caller * rounds + round) % 150), 10)).GetAwaiter().GetResult();
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
    }

    private sealed class SlowScorer(Model.IScorer inner, TimeSpan delay) : Model.IScorer
    {
        public int ItemCount => inner.ItemCount;
        public void Score(CsrMatrix histories, int rowStart, int rowCount, Span<float> output)
        {
            Thread.Sleep(delay);
            inner.Score(histories, rowStart, rowCount, output);
        }
    }

    [Fact]
    public async Task BatcherRejectsABadRequestAloneAndAnswersAfterDisposal()
    {
        var recommender = model.NewRecommender();
        var batcher = new MicroBatcher(recommender);
        await Assert.ThrowsAsync<VaeCfException>(() => batcher.RecommendAsync(new RecommendationRequest(["100"], 0)));
        var before = await batcher.RecommendAsync(new RecommendationRequest(["100"], 3));
        await batcher.DisposeAsync();
        var after = await batcher.RecommendAsync(new RecommendationRequest(["100"], 3));
        Assert.Equal(before.Items, after.Items);
    }

    [Fact]
    public void SavedThenLoadedModelGivesBitIdenticalScoresWithTitles()
    {
        string dir = model.SaveToTemp();
        string titles = Path.Combine(dir, "movies.csv");
        File.WriteAllText(titles, "movieId,title\n100,\"Hundred, The\"\n101,One-oh-one\n");
        try
        {
            var loaded = Recommender.Load(dir, titles);
            var history = model.TrainHistory(3);
            Assert.Equal(model.NewRecommender().Score(history), loaded.Score(history));
            var all = loaded.Recommend([], ServingFixture.Items);
            Assert.Equal("Hundred, The", all.Items.Single(i => i.Id == "100").Title);
            Assert.Null(all.Items.Single(i => i.Id == "102").Title);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void BadInputsAreUserErrors()
    {
        var recommender = model.NewRecommender();
        Assert.Throws<VaeCfException>(() => recommender.Recommend(["100"], 0));
        Assert.Throws<VaeCfException>(() => recommender.Recommend(new RecommendationRequest(null!, 3)));
        var manifest = model.Manifest with { Items = model.Manifest.Items.Take(5).ToArray() };
        Assert.Throws<VaeCfException>(() => new Recommender(model.Network, manifest));
        var duplicated = model.Manifest with { Items = model.Manifest.Items.Select((id, i) => i == 1 ? model.Manifest.Items[0] : id).ToArray() };
        Assert.Throws<VaeCfException>(() => new Recommender(model.Network, duplicated));
    }

    [Fact]
    public void KLargerThanTheCatalogueReturnsEveryRemainingItem()
    {
        var result = model.NewRecommender().Recommend(["100", "101"], 10_000);
        Assert.Equal(ServingFixture.Items - 2, result.Items.Count);
    }

    [Theory]
    [InlineData(15, 24)]  // one 14-row tile and a single row
    [InlineData(18, 24)]  // a tile and a 4-row group
    [InlineData(18, 400)] // the same over two depth blocks
    [InlineData(19, 24)]  // a tile and a 5-row tile zero-padded to the 8-row kernel
    [InlineData(22, 400)] // a tile and an 8-row tile, two depth blocks
    [InlineData(26, 400)] // a tile and a 12-row tile zero-padded to 14
    [InlineData(33, 400)] // two tiles, a 5-row tile padded to 8, and two depth blocks (the engine's largest block is 384)
    [InlineData(64, 400)] // the server's default micro-batch
    public void PackedOutputLayerMatchesTheNetworkForRaggedShapes(int rows, int hidden) =>
        // 75 items: two whole panels and a partial last one.
        AssertServedScoresEqualTheNetwork(items: 75, hidden, rows, meanClicks: 6, networkSeed: 5, dataSeed: 9);

    [Theory]
    [InlineData(1, 40)]
    [InlineData(3, 40)]
    [InlineData(1, 400)] // two depth blocks, the bias in the second
    [InlineData(3, 400)]
    public void PackedOutputLayerMatchesTheNetworkForFewRowsOverManyPanels(int rows, int hidden) =>
        // 300 items: two four-panel groups, then single panels and a partial last one (the few-row path).
        AssertServedScoresEqualTheNetwork(items: 300, hidden, rows, meanClicks: 12, networkSeed: 7, dataSeed: 3);

    /// <summary>Every item's served score for each of <paramref name="rows"/> histories equals the network's own scoring, bit for bit.</summary>
    private static void AssertServedScoresEqualTheNetwork(int items, int hidden, int rows, int meanClicks, int networkSeed, int dataSeed)
    {
        var network = new Model.AutoencoderNetwork(new Model.ModelConfig { ItemCount = items, PDims = [8, hidden] }, new Numerics.GemmEngine(2));
        network.Initialize(networkSeed);
        var manifest = new Persistence.ModelManifest { Model = "mult-vae", Items = Enumerable.Range(0, items).Select(i => $"m{i}").ToArray() };
        var recommender = new Recommender(network, manifest);
        var histories = SyntheticClicks.Generate(rows, items, meanClicksPerUser: meanClicks, seed: dataSeed);
        var expected = new float[rows * items];
        network.Score(histories, 0, rows, expected);
        var requests = Enumerable.Range(0, rows)
            .Select(r => new RecommendationRequest(histories.RowIndices(r).ToArray().Select(c => $"m{c}").ToArray(), items) { ExcludeHistory = false })
            .ToArray();
        var results = recommender.RecommendBatch(requests);
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(items, results[r].Items.Count);
            foreach (var item in results[r].Items)
                Assert.Equal(expected[r * items + int.Parse(item.Id[1..])], item.Score);
        }
    }
}
