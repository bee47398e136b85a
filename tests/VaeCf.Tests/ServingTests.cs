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

    // The batching rule on a manual clock. A scorer that holds each pass until the test releases it
    // decides what is queued when the loop next reads; the clock moves only when the test says,
    // and the loop's waits are visible as the timers it creates. So each test states exactly which
    // requests arrive at which instant and which passes must come out, on any machine load.
    // Warm-up (every test): a lone request is scored on its caller's thread (pass of 1); a request
    // sent meanwhile forms the loop's first pass (1); 7 sent during that pass form the next (7).
    // Eight requests were then in flight at once, so the loop expects rounds of 8.

    [Fact]
    public async Task ARoundArrivingOverLongerThanTheWaitStillFormsOnePass()
    {
        // The wait (10 ms) restarts with each arrival: 8 requests 3 ms apart arrive over 21 ms and
        // still form one pass. A bound counted from the first arrival would cut the round at 10 ms.
        await using var harness = await BatchingHarness.WarmAsync(model, TimeSpan.FromMilliseconds(10));
        var answers = new List<Task<RecommendationResult>>();
        for (int i = 0; i < 8; i++)
        {
            if (i > 0)
            {
                await harness.Clock.WaitForTimerAsync(); // the loop holds the round so far and waits for more
                harness.Clock.Advance(TimeSpan.FromMilliseconds(3));
            }
            answers.Add(harness.Send(i));
        }
        Assert.Equal(8, await harness.NextPassAsync());
        harness.ReleasePass();
        await Task.WhenAll(answers);
        Assert.Equal(4, harness.Batcher.Batches);
        Assert.Equal(9 + 8, harness.Batcher.Requests);
    }

    [Fact]
    public async Task APauseAsLongAsTheWaitEndsTheTopUp()
    {
        // 4 requests 3 ms apart, then silence: 10 ms after the 4th the pass goes with 4 of the 8 expected.
        await using var harness = await BatchingHarness.WarmAsync(model, TimeSpan.FromMilliseconds(10));
        var answers = new List<Task<RecommendationResult>>();
        for (int i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                await harness.Clock.WaitForTimerAsync();
                harness.Clock.Advance(TimeSpan.FromMilliseconds(3));
            }
            answers.Add(harness.Send(i));
        }
        await harness.Clock.WaitForTimerAsync();
        harness.Clock.Advance(TimeSpan.FromMilliseconds(9.9));
        Assert.False(harness.PassStarted, "The pass left before the wait was over.");
        harness.Clock.Advance(TimeSpan.FromMilliseconds(0.1));
        Assert.Equal(4, await harness.NextPassAsync());
        harness.ReleasePass();
        await Task.WhenAll(answers);
    }

    [Fact]
    public async Task TheTopUpStopsAtFourWaitsAfterItsFirstRequest()
    {
        // Requests 9 ms apart never let the 10 ms wait run out, but the whole top-up is bounded by
        // 4 x 10 ms from the first read: requests at 0, 9, 18, 27 and 36 ms make the pass, which
        // leaves at 40 ms, before the one due at 45 ms.
        await using var harness = await BatchingHarness.WarmAsync(model, TimeSpan.FromMilliseconds(10));
        var answers = new List<Task<RecommendationResult>>();
        for (int i = 0; i < 5; i++)
        {
            if (i > 0)
            {
                await harness.Clock.WaitForTimerAsync();
                harness.Clock.Advance(TimeSpan.FromMilliseconds(9));
            }
            answers.Add(harness.Send(i));
        }
        await harness.Clock.WaitForTimerAsync();
        harness.Clock.Advance(TimeSpan.FromMilliseconds(3.9)); // 39.9 ms
        Assert.False(harness.PassStarted, "The pass left before the overall bound.");
        harness.Clock.Advance(TimeSpan.FromMilliseconds(0.1)); // 40 ms
        Assert.Equal(5, await harness.NextPassAsync());
        harness.ReleasePass();
        await Task.WhenAll(answers);
    }

    [Fact]
    public async Task ClosedLoopCallersStayInStepWithoutWaitingOutTheBound()
    {
        // 8 callers come back at once: the pass takes the 8 it expects and leaves without the clock
        // moving at all, never waiting for a full batch (16) that is not coming.
        await using var harness = await BatchingHarness.WarmAsync(model, TimeSpan.FromMilliseconds(250));
        var answers = Enumerable.Range(0, 8).Select(harness.Send).ToList();
        Assert.Equal(8, await harness.NextPassAsync());
        harness.ReleasePass();
        await Task.WhenAll(answers);
        Assert.Equal(0, harness.Clock.GetTimestamp());
    }

    /// <summary>A <see cref="MicroBatcher"/> (at most 16 per pass) on a <see cref="ManualClock"/>, over a scorer whose passes the test releases one by one.</summary>
    private sealed class BatchingHarness : IAsyncDisposable
    {
        private readonly ServingFixture _model;
        private readonly HeldScorer _scorer;
        public ManualClock Clock { get; } = new();
        public MicroBatcher Batcher { get; }

        private BatchingHarness(ServingFixture model, TimeSpan maxWait)
        {
            _model = model;
            var fast = model.NewRecommender();
            _scorer = new HeldScorer(fast.Scorer);
            Batcher = new MicroBatcher(new Recommender(_scorer, fast.Manifest), new MicroBatcherOptions { MaxBatch = 16, MaxWait = maxWait }, Clock);
        }

        public static async Task<BatchingHarness> WarmAsync(ServingFixture model, TimeSpan maxWait)
        {
            var harness = new BatchingHarness(model, maxWait);
            // The lone request is scored on its caller's thread, which the held pass blocks.
            var lone = Task.Run(() => harness.Send(0));
            Assert.Equal(1, await harness.NextPassAsync());
            var second = harness.Send(1);
            harness.ReleasePass();
            await lone;
            Assert.Equal(1, await harness.NextPassAsync());
            var round = Enumerable.Range(2, 7).Select(harness.Send).ToList();
            harness.ReleasePass();
            await second;
            Assert.Equal(7, await harness.NextPassAsync());
            harness.ReleasePass();
            await Task.WhenAll(round);
            Assert.Equal(3, harness.Batcher.Batches);
            Assert.Equal(0, harness.Clock.GetTimestamp());
            return harness;
        }

        public Task<RecommendationResult> Send(int user) =>
            Batcher.RecommendAsync(new RecommendationRequest(_model.TrainHistory(user % 150), 10));

        /// <summary>Rows of the next pass, once it has started (it then waits for <see cref="ReleasePass"/>).</summary>
        public async Task<int> NextPassAsync()
        {
            using var hangGuard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            return await _scorer.Started.Reader.ReadAsync(hangGuard.Token);
        }

        public bool PassStarted => _scorer.Started.Reader.Count > 0;

        public void ReleasePass() => _scorer.Gate.Release();

        public async ValueTask DisposeAsync()
        {
            _scorer.Gate.Release(100);
            await Batcher.DisposeAsync();
        }
    }

    private sealed class HeldScorer(Model.IScorer inner) : Model.IScorer
    {
        public System.Threading.Channels.Channel<int> Started { get; } = System.Threading.Channels.Channel.CreateUnbounded<int>();
        public SemaphoreSlim Gate { get; } = new(0);
        public int ItemCount => inner.ItemCount;

        public void Score(CsrMatrix histories, int rowStart, int rowCount, Span<float> output)
        {
            Started.Writer.TryWrite(rowCount);
            if (!Gate.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("The test never released the pass.");
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
