using VaeCf.Training;

namespace VaeCf.Tests;

/// <summary>The small-data warnings, on hand-worked cases: the bundled data at the paper's settings and ML-20M.</summary>
public class SmallDataCheckTests
{
    [Fact]
    public void ThePaperSettingsOnTheBundledDataAreOneUpdatePerEpochAndBetaNearZero()
    {
        // 483 training users, batch 500: ceil(483 / 500) = 1 update per epoch, 200 in all;
        // beta = min(0.2, 200 / 200000) = 0.001.
        var check = SmallDataCheck.Of(new TrainingOptions(), trainUsers: 483, annealsBeta: true);
        Assert.Equal(1, check.UpdatesPerEpoch);
        Assert.Equal(200, check.TotalUpdates);
        Assert.True(check.FewUpdates);
        Assert.Equal(48, check.SuggestedBatchSize);             // 483 / 10
        Assert.Equal(0.001, check.FinalBeta, 12);
        Assert.True(check.BetaStaysSmall);
        Assert.Equal(850, check.SuggestedTotalAnnealSteps);     // 0.85 * 200 / 0.2
    }

    [Fact]
    public void ThePaperSettingsOnMl20mRaiseNothing()
    {
        // 116,677 users / 500 = 234 updates per epoch, 46,800 in all: beta reaches min(0.2, 0.234) = 0.2.
        var check = SmallDataCheck.Of(new TrainingOptions(), trainUsers: 116_677, annealsBeta: true);
        Assert.Equal(234, check.UpdatesPerEpoch);
        Assert.False(check.AnyProblem);
        Assert.Equal(0.2, check.FinalBeta, 6);
    }

    [Fact]
    public void BetaIsCheckedOnlyForTheVaeAndThePaperSchedule()
    {
        var dae = SmallDataCheck.Of(new TrainingOptions(), 483, annealsBeta: false);
        Assert.True(dae.FewUpdates);
        Assert.False(dae.BetaStaysSmall);
        Assert.True(double.IsNaN(dae.FinalBeta));

        var seed85 = SmallDataCheck.Of(new TrainingOptions { Anneal = AnnealSchedule.Seed85, BatchSize = 48 }, 483, annealsBeta: true);
        Assert.Equal(11, seed85.UpdatesPerEpoch);               // ceil(483 / 48)
        Assert.False(seed85.AnyProblem);

        // Half the cap is the line: 2,000 updates of 4,000 steps reach 0.5 x cap exactly, one fewer does not.
        var options = new TrainingOptions { BatchSize = 100, Epochs = 400, AnnealCap = 1f, TotalAnnealSteps = 4000 };
        Assert.False(SmallDataCheck.Of(options, 500, true).BetaStaysSmall);     // 5 x 400 = 2000 updates
        Assert.True(SmallDataCheck.Of(options with { Epochs = 399 }, 500, true).BetaStaysSmall);
    }

    [Fact]
    public void TrainSaysWhatToChangeOnTheBundledData()
    {
        using var files = new DataTestFiles();
        var (code, output) = ToolProcess.Run(null, "train", "--data", TestData.MovieLensSmall, "--epochs", "2", "--output", files.PathOf("vae"), "--no-example");
        Assert.True(code == 0, output);
        Assert.Contains("warning: batch size 500 on 483 training users makes 1 update per epoch (2 in all); for 10 or more, use --batch-size 48 or less.", output);
        Assert.Contains("the paper's anneal schedule ends at beta 1E-05 (cap 0.2) after 2 updates of --total-anneal-steps 200,000; use --anneal seed85", output);

        var (quiet, log) = ToolProcess.Run(null, "train", "--data", TestData.MovieLensSmall, "--epochs", "2", "--batch-size", "48", "--anneal", "seed85",
            "--output", files.PathOf("vae-48"), "--no-example");
        Assert.True(quiet == 0, log);
        Assert.DoesNotContain("warning:", log);
    }

    [Fact]
    public void RecVaeIsNotWarnedAboutAnAnnealScheduleItDoesNotUse()
    {
        using var files = new DataTestFiles();
        var (code, output) = ToolProcess.Run(null, "train", "--kind", "recvae", "--data", TestData.MovieLensSmall, "--epochs", "1",
            "--output", files.PathOf("recvae"), "--no-example");
        Assert.True(code == 0, output);
        Assert.Contains("makes 1 update per epoch", output);
        Assert.DoesNotContain("anneal", output);
    }
}
