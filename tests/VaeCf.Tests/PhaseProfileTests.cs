using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Numerics;

namespace VaeCf.Tests;

public class PhaseProfileTests
{
    [Fact]
    public void ChargesTheTimeSinceTheLastMarkToTheNamedPhase()
    {
        long now = 0;
        var profile = new PhaseProfile(() => now, ticksPerSecond: 1000);
        profile.Start();
        now = 250;
        profile.Mark(TrainingPhase.Loss);
        now = 1250;
        profile.Mark(TrainingPhase.Optimizer);
        now = 1500;
        profile.Mark(TrainingPhase.Loss);
        Assert.Equal(0.5, profile.Seconds(TrainingPhase.Loss));
        Assert.Equal(1.0, profile.Seconds(TrainingPhase.Optimizer));
        Assert.Equal(0.0, profile.Seconds(TrainingPhase.InputForward));
        profile.Reset();
        Assert.Equal(0.0, profile.Seconds(TrainingPhase.Loss));
    }

    /// <summary>A clock that advances one tick per reading counts the marks: each phase of a step is marked where it ends, once.</summary>
    [Theory]
    [InlineData(ModelKind.MultVae, 1)]
    [InlineData(ModelKind.MultVae, 2)]
    [InlineData(ModelKind.MultDae, 1)]
    public void ATrainingStepMarksEachPhase(ModelKind kind, int threads)
    {
        var rng = new Random(3);
        var clicks = CsrMatrix.FromRows(40, Enumerable.Range(0, 12).Select(_ => Enumerable.Range(0, 6).Select(_ => rng.Next(40)).ToArray()).ToList());
        var network = new AutoencoderNetwork(new ModelConfig { Kind = kind, PDims = [8, 16], ItemCount = 40 }, new GemmEngine(threads));
        network.Initialize(1);
        var ws = network.CreateWorkspace(12);
        long ticks = 0;
        ws.Profile = new PhaseProfile(() => ticks++, ticksPerSecond: 1);
        int[] rows = Enumerable.Range(0, 12).ToArray();
        network.Forward(ws, clicks, rows, training: true, new TrainingDraws(1, 1));
        network.ComputeLoss(ws, clicks, rows, beta: 0.2f);
        network.Backward(ws);
        ws.Profile.Mark(TrainingPhase.Optimizer);

        // The DAE [40-16-40] has no hidden layer between its input and output layers, but the boundary is still marked.
        Assert.Equal(1, ws.Profile.Seconds(TrainingPhase.InputForward));
        Assert.Equal(1, ws.Profile.Seconds(TrainingPhase.HiddenForward));
        Assert.Equal(1, ws.Profile.Seconds(TrainingPhase.OutputForward));
        Assert.Equal(1, ws.Profile.Seconds(TrainingPhase.Loss));
        Assert.Equal(1, ws.Profile.Seconds(TrainingPhase.OutputWeightGradient));
        Assert.Equal(1, ws.Profile.Seconds(TrainingPhase.OutputInputGradient));
        Assert.Equal(1, ws.Profile.Seconds(TrainingPhase.HiddenBackward));
        // Clearing the last batch's gradient rows, then the layer's own gradient.
        Assert.Equal(2, ws.Profile.Seconds(TrainingPhase.InputBackward));
        Assert.Equal(1, ws.Profile.Seconds(TrainingPhase.Optimizer));
    }

    [Fact]
    public void BackwardRefusesAWorkspaceWhoseLastForwardWasNotTraining()
    {
        var clicks = CsrMatrix.FromRows(10, [[1, 2], [3]]);
        var network = new AutoencoderNetwork(new ModelConfig { Kind = ModelKind.MultDae, PDims = [4, 8], ItemCount = 10 }, new GemmEngine(1));
        var ws = network.CreateWorkspace(2);
        network.Forward(ws, clicks, [0, 1], training: false);
        Assert.Throws<InvalidOperationException>(() => network.Backward(ws));
    }
}
