using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Tests;

public class TrainerTests
{
    private static SplitDataset TinySplit()
    {
        var train = SyntheticClicks.Generate(120, 40, meanClicksPerUser: 8, seed: 1);
        var foldIn = SyntheticClicks.Generate(20, 40, meanClicksPerUser: 6, seed: 2);
        var targets = SyntheticClicks.Generate(20, 40, meanClicksPerUser: 3, seed: 3);
        return new SplitDataset
        {
            ItemIds = Enumerable.Range(0, 40).Select(i => i.ToString()).ToArray(),
            TrainUserIds = Enumerable.Range(0, 120).Select(i => $"u{i}").ToArray(),
            Train = train,
            Validation = new HeldOutSet { UserIds = Enumerable.Range(0, 20).Select(i => $"v{i}").ToArray(), FoldIn = foldIn, Targets = targets },
            Test = new HeldOutSet { UserIds = Enumerable.Range(0, 20).Select(i => $"t{i}").ToArray(), FoldIn = foldIn, Targets = targets },
        };
    }

    [Fact]
    public void SameSeedGivesIdenticalTraining()
    {
        var data = TinySplit();
        var options = new TrainingOptions { Epochs = 3, BatchSize = 50, Threads = 2, Seed = 5 };
        var config = new ModelConfig { Kind = ModelKind.MultVae, PDims = [8, 16] };
        var a = new Trainer(options).Train(data, config);
        var b = new Trainer(options).Train(data, config);
        Assert.Equal(a.Network.Parameters.Values, b.Network.Parameters.Values);
        Assert.Equal(a.History.Select(h => h.TrainLoss), b.History.Select(h => h.TrainLoss));
        var c = new Trainer(options with { Seed = 6 }).Train(data, config);
        Assert.NotEqual(a.Network.Parameters.Values, c.Network.Parameters.Values);
    }

    [Fact]
    public void TrainingLowersTheLossAndKeepsTheBestEpoch()
    {
        var data = TinySplit();
        var result = new Trainer(new TrainingOptions { Epochs = 15, BatchSize = 40, LearningRate = 3e-3f, Threads = 1 })
            .Train(data, new ModelConfig { Kind = ModelKind.MultDae, PDims = [16] });
        Assert.Equal(15, result.History.Count);
        Assert.True(result.History[^1].TrainLoss < result.History[0].TrainLoss);
        var best = result.History.MaxBy(h => h.Ndcg100)!;
        Assert.Equal(best.Epoch, result.BestEpoch);
        Assert.True(result.History.Single(h => h.IsBest && h.Epoch == result.BestEpoch) is not null);
        // The returned network holds the best epoch's parameters: re-evaluating reproduces its NDCG.
        var again = new Evaluator().Evaluate(result.Network, data.Validation.FoldIn, data.Validation.Targets);
        Assert.Equal(best.Ndcg100, again.Get(MetricKind.Ndcg, 100).Mean, 10);
    }

    [Fact]
    public void EarlyStoppingStopsAfterPatience()
    {
        var data = TinySplit();
        // A learning rate this small cannot move NDCG by the relative threshold, so every evaluation is "no improvement".
        var result = new Trainer(new TrainingOptions { Epochs = 50, BatchSize = 60, LearningRate = 1e-9f, EarlyStopPatience = 3, Threads = 1 })
            .Train(data, new ModelConfig { Kind = ModelKind.MultDae, PDims = [8] });
        Assert.True(result.StoppedEarly);
        Assert.Equal(4, result.History.Count);
    }

    [Fact]
    public void CancellationKeepsTheBestModelSoFar()
    {
        var data = TinySplit();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var result = new Trainer(new TrainingOptions { Epochs = 5, Threads = 1 }).Train(data, new ModelConfig { Kind = ModelKind.MultVae, PDims = [4, 8] }, cts.Token);
        Assert.True(result.Cancelled);
    }
}

public class DivergenceTests
{
    [Fact]
    public void NonFiniteLossStopsTrainingAndKeepsTheEarlierModel()
    {
        var train = SyntheticClicks.Generate(60, 20, meanClicksPerUser: 5, seed: 1);
        var empty = CsrMatrix.FromRows(20, []);
        var data = new SplitDataset
        {
            ItemIds = Enumerable.Range(0, 20).Select(i => i.ToString()).ToArray(),
            TrainUserIds = Enumerable.Range(0, 60).Select(i => $"u{i}").ToArray(),
            Train = train,
            Validation = new HeldOutSet { UserIds = [], FoldIn = empty, Targets = empty },
            Test = new HeldOutSet { UserIds = [], FoldIn = empty, Targets = empty },
        };
        // A learning rate of 1e30 blows the weights up within a couple of updates.
        var result = new Trainer(new TrainingOptions { Epochs = 20, BatchSize = 20, LearningRate = 1e30f, Threads = 1 })
            .Train(data, new ModelConfig { Kind = ModelKind.MultVae, PDims = [4, 8] });
        Assert.True(result.Diverged);
        Assert.Contains("learning rate", result.StopReason);
        Assert.True(result.History.Count < 20);
        Assert.All(result.Network.Parameters.Values, v => Assert.True(float.IsFinite(v)));
    }
}
