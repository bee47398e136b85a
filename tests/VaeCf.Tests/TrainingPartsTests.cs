using VaeCf.Model;
using VaeCf.Training;

namespace VaeCf.Tests;

public class TrainingPartsTests
{
    [Fact]
    public void PaperScheduleIsMinOfCapAndRatio()
    {
        var b = BetaSchedule.From(new TrainingOptions { Anneal = AnnealSchedule.Paper, AnnealCap = 0.2f, TotalAnnealSteps = 1000 }, stepsPerEpoch: 10);
        Assert.Equal(0f, b.At(0));
        Assert.Equal(0.1f, b.At(100), 6);
        Assert.Equal(0.2f, b.At(200), 6);
        Assert.Equal(0.2f, b.At(100_000), 6);
    }

    [Fact]
    public void Seed85ReachesCapAt85PercentOfEpochs()
    {
        var options = new TrainingOptions { Anneal = AnnealSchedule.Seed85, AnnealCap = 0.5f, Epochs = 100 };
        var b = BetaSchedule.From(options, stepsPerEpoch: 4);
        Assert.Equal(0.5f, b.At(4 * 85), 5);
        Assert.True(b.At(4 * 84) < 0.5f);
        Assert.Equal(0.25f, b.At(2 * 85), 5);
        var constant = BetaSchedule.From(options with { Anneal = AnnealSchedule.Constant }, 4);
        Assert.Equal(0.5f, constant.At(0));
    }

    [Fact]
    public void PlateauMaximizesNdcgAndMinimizesLoss()
    {
        var ndcg = new PlateauTracker(MonitoredMetric.Ndcg);
        Assert.True(ndcg.Observe(0.3));
        Assert.False(ndcg.Observe(0.2));
        Assert.True(ndcg.Observe(0.4));
        Assert.Equal(0, ndcg.BadEvaluations);
        var loss = new PlateauTracker(MonitoredMetric.Loss);
        Assert.True(loss.Observe(10));
        Assert.False(loss.Observe(11));
        Assert.True(loss.Observe(9));
    }

    [Fact]
    public void AdamMatchesHandWorkedSteps()
    {
        var set = new ParameterSet([new TensorSlot("w", 0, 1, 2, IsWeight: true), new TensorSlot("b", 2, 1, 1, IsWeight: false)]);
        set.Values[0] = 1f; set.Values[1] = -2f; set.Values[2] = 0.5f;
        var adam = new AdamOptimizer(set, OptimizerKind.Adam, learningRate: 0.1f, weightDecay: 0.25f, threads: 1);
        float[] grad = [0.3f, 0f, -1f];
        double squares = adam.Step(grad);
        Assert.Equal(1 + 4, squares, 6);
        // Step 1 with bias correction: update = lr * g / (|g| + eps) = lr * sign(g) for each non-zero effective gradient.
        // Effective gradient of weights includes 2 * 0.25 * w: w0: 0.3 + 0.5 = 0.8; w1: 0 - 1 = -1; bias: -1 (no decay).
        Assert.Equal(1f - 0.1f, set.Values[0], 5);
        Assert.Equal(-2f + 0.1f, set.Values[1], 5);
        Assert.Equal(0.5f + 0.1f, set.Values[2], 5);

        var decoupled = new ParameterSet([new TensorSlot("w", 0, 1, 1, IsWeight: true)]);
        decoupled.Values[0] = 2f;
        var adamw = new AdamOptimizer(decoupled, OptimizerKind.AdamW, 0.1f, 0.5f, 1);
        adamw.Step([1f]);
        // p = p * (1 - lr * wd) - lr * sign(g) = 2 * 0.95 - 0.1.
        Assert.Equal(2f * 0.95f - 0.1f, decoupled.Values[0], 5);
    }

    [Fact]
    public void BadOptionsAreRejectedWithTheFieldName()
    {
        Assert.Contains("Batch size", Assert.Throws<VaeCfException>(() => new TrainingOptions { BatchSize = 0 }.Validate()).Message);
        Assert.Contains("Learning rate", Assert.Throws<VaeCfException>(() => new TrainingOptions { LearningRate = -1 }.Validate()).Message);
        Assert.Contains("p_dims", Assert.Throws<VaeCfException>(() => new ModelConfig { ItemCount = 5, PDims = [] }.Validate()).Message);
        Assert.Contains("latent", Assert.Throws<VaeCfException>(() => new ModelConfig { ItemCount = 5, PDims = [200, 600], QDims = [600, 100] }.Validate()).Message);
        // Sizes whose shape arithmetic would overflow, and networks too large for one parameter buffer, are user errors.
        Assert.Contains("at most", Assert.Throws<VaeCfException>(() => new ModelConfig { ItemCount = 5_660, PDims = [200, 2_000_000_000] }.Validate()).Message);
        var tooLarge = Assert.Throws<VaeCfException>(() => new ModelConfig { ItemCount = 1_000_000, PDims = [200, 600_000] }.Validate());
        Assert.Contains("parameters", tooLarge.Message);
        new ModelConfig { ItemCount = 20_108, PDims = [200, 600] }.Validate();
    }
}
