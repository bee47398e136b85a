using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Split;
using VaeCf.Training;
using Xunit.Abstractions;

namespace VaeCf.Tests;

/// <summary>
/// Managed bytes are counted process-wide (pool threads do part of each epoch), so these tests run
/// alone, after every test that may run in parallel.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCounting
{
    public const string Name = "Allocation counting";
}

[Collection(AllocationCounting.Name)]
public class TrainingMemoryTests(ITestOutputHelper output)
{
    private const int Items = 3000;

    private static SplitDataset Split(int trainUsers, int heldOutUsers)
    {
        var train = SyntheticClicks.Generate(trainUsers, Items, meanClicksPerUser: 20, seed: 11);
        var foldIn = SyntheticClicks.Generate(heldOutUsers, Items, meanClicksPerUser: 16, seed: 12);
        var targets = SyntheticClicks.Generate(heldOutUsers, Items, meanClicksPerUser: 4, seed: 13);
        var heldOut = new HeldOutSet { UserIds = Enumerable.Range(0, heldOutUsers).Select(i => $"v{i}").ToArray(), FoldIn = foldIn, Targets = targets };
        return new SplitDataset
        {
            ItemIds = Enumerable.Range(0, Items).Select(i => i.ToString()).ToArray(),
            TrainUserIds = Enumerable.Range(0, trainUsers).Select(i => $"u{i}").ToArray(),
            Train = train,
            Validation = heldOut,
            Test = heldOut,
        };
    }

    /// <summary>Managed bytes allocated from the start of epoch <c>from</c> to the end of epoch <c>to</c>, validation included.</summary>
    private sealed class AllocationWindow(int from, int to) : ITrainingObserver
    {
        private long _start;
        public long Bytes { get; private set; } = -1;

        public void OnEpochStart(int epoch, int batches)
        {
            if (epoch == from) _start = GC.GetTotalAllocatedBytes(precise: true);
        }

        public void OnEpochEnd(EpochRecord record)
        {
            if (record.Epoch == to) Bytes = GC.GetTotalAllocatedBytes(precise: true) - _start;
        }
    }

    [Theory]
    [InlineData(ModelKind.MultVae, 1, 1024)]
    [InlineData(ModelKind.MultDae, 1, 1024)]
    [InlineData(ModelKind.MultVae, 2, 3072)]
    [InlineData(ModelKind.MultDae, 2, 3072)]
    public void EpochsAfterTheFirstAllocateAlmostNothing(ModelKind kind, int threads, int boundKiB)
    {
        var data = Split(trainUsers: 400, heldOutUsers: 300);
        var window = new AllocationWindow(3, 5);
        var options = new TrainingOptions { Epochs = 6, BatchSize = 100, EvaluationBatchSize = 300, Threads = threads, Seed = 3 };
        var result = new Trainer(options, window).Train(data, new ModelConfig { Kind = kind, PDims = [16, 64] });
        Assert.Equal(6, result.History.Count);
        output.WriteLine($"{kind}, {threads} thread(s): {window.Bytes} bytes in epochs 3-5");
        // One validation score matrix here is 300 x 3000 floats = 3.6 MB, so a fresh one per
        // evaluation would be 10.8 MB in these three epochs. What is left is the same whatever the
        // size of the data: the closures of each batch's parallel loops and one history record and
        // result per epoch (about 50 KB on one thread), and with two threads Parallel.For's own
        // bookkeeping, 0.2-0.5 MB here depending on how busy the machine keeps the thread pool.
        // The bounds leave room for what other threads of the test host allocate meanwhile (the
        // count is process-wide; a 128 KB bound failed once under heavy load) and stay far below
        // the 10.8 MB that one fresh score matrix per evaluation would cost.
        Assert.InRange(window.Bytes, 0, boundKiB * 1024L);
    }

    [Theory]
    [InlineData(ModelKind.MultVae, 0f)]
    [InlineData(ModelKind.MultDae, 0f)]
    [InlineData(ModelKind.MultDae, 0.3f)]
    public void WorkspaceSizeIsKnownBeforeMakingOne(ModelKind kind, float hiddenDropout)
    {
        var network = new AutoencoderNetwork(new ModelConfig { Kind = kind, PDims = [16, 64], ItemCount = 700, HiddenDropout = hiddenDropout }, new Numerics.GemmEngine(1));
        foreach (int rows in new[] { 1, 37, 500 })
            Assert.Equal(NetworkWorkspace.BytesFor(network, rows), network.CreateWorkspace(rows).Bytes);
        // The logits dominate: rows x items floats.
        Assert.True(NetworkWorkspace.BytesFor(network, 500) > 4L * 500 * 700);
    }

    [Fact]
    public void EvaluationWorkspaceKeepsOneNetworkWorkspaceAcrossCalls()
    {
        var data = Split(trainUsers: 50, heldOutUsers: 120);
        var network = new AutoencoderNetwork(new ModelConfig { Kind = ModelKind.MultVae, PDims = [8, 32], ItemCount = Items }, new Numerics.GemmEngine(1));
        network.Initialize(4);
        var evaluator = new Evaluator(50, 1);
        var first = evaluator.Evaluate(network, data.Validation.FoldIn, data.Validation.Targets);
        var workspace = evaluator.Workspace.NetworkWorkspace(network, 50);
        long bytes = evaluator.Workspace.Bytes;
        var second = evaluator.Evaluate(network, data.Validation.FoldIn, data.Validation.Targets);
        Assert.Same(workspace, evaluator.Workspace.NetworkWorkspace(network, 50));
        Assert.Equal(bytes, evaluator.Workspace.Bytes);
        Assert.Equal(first.Get(MetricKind.Ndcg, 100), second.Get(MetricKind.Ndcg, 100));
        // Scores ranked in the workspace's logits give what scoring through IScorer into a separate buffer gives.
        var viaScorer = new Evaluator(50, 1).Evaluate(new ScorerView(network), data.Validation.FoldIn, data.Validation.Targets);
        Assert.Equal(viaScorer.Get(MetricKind.Ndcg, 100), first.Get(MetricKind.Ndcg, 100));
        Assert.Equal(viaScorer.Get(MetricKind.Recall, 20), first.Get(MetricKind.Recall, 20));
    }

    /// <summary>The network seen only as an <see cref="IScorer"/>, so the evaluator takes its generic path.</summary>
    private sealed class ScorerView(AutoencoderNetwork network) : IScorer
    {
        public int ItemCount => network.ItemCount;
        public void Score(CsrMatrix histories, int rowStart, int rowCount, Span<float> scores) => network.Score(histories, rowStart, rowCount, scores);
    }
}
