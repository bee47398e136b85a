using System.Text.Json;
using Spectre.Console.Cli;
using VaeCf.Catalogue;
using VaeCf.Baselines;
using VaeCf.Cli;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Training;

namespace VaeCf.Tests;

/// <summary>The whole pipeline on the bundled MovieLens data.</summary>
[Collection(ConsoleOutput.Name)]
public class EndToEndTests
{
    [Fact]
    public void MultVaeBeatsPopularityOnValidationNdcg()
    {
        var data = TestData.BundledSplit;
        var popularity = PopularityScorer.Fit(data.Train);
        double popularityNdcg = new Evaluator().Evaluate(popularity, data.Validation.FoldIn, data.Validation.Targets)
            .Get(MetricKind.Ndcg, 100).Mean;

        // The paper's settings but fewer epochs, with the 85% schedule so beta actually moves here.
        var options = new TrainingOptions { Epochs = 60, Anneal = AnnealSchedule.Seed85, AnnealCap = 0.2f };
        var result = FitPipeline.Fit(ModelCatalogue.MultVae, data, new ModelSettings { Training = options });
        double vaeNdcg = result.Validation!.Get(MetricKind.Ndcg, 100).Mean;

        Assert.True(vaeNdcg > popularityNdcg + 0.02, $"Mult-VAE validation NDCG@100 {vaeNdcg:F4} vs popularity {popularityNdcg:F4}");
        Assert.NotNull(result.Test);
        Assert.True(result.Test!.UsersEvaluated > 0);
        Assert.All(result.Test.Metrics.Values, v => Assert.InRange(v.Mean, 0, 1));
    }

    private static int RunCli(params string[] args)
    {
        var app = new CommandApp();
        app.Configure(CliSetup.Configure);
        return app.Run(args);
    }

    [Fact]
    public void CliTrainsSavesAndEvaluatesTheSameMetrics()
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("vaecf-e2e-").FullName, "model");
        int code = RunCli("train", "--data", TestData.MovieLensSmall, "--model", "dae", "--epochs", "5", "--output", dir, "--no-example");
        Assert.Equal(0, code);
        Assert.True(File.Exists(Path.Combine(dir, ModelStore.WeightsFile)));
        Assert.True(File.Exists(Path.Combine(dir, ModelStore.HistoryFile)));
        var manifest = ModelStore.ReadManifest(dir);
        Assert.Equal("mult-dae", manifest.Model);
        Assert.Equal(5, HistoryCsv.Parse(Path.Combine(dir, ModelStore.HistoryFile)).Count);

        // Evaluating the saved model on the same split reproduces the test metrics stored at training time.
        var (scorer, _) = ModelFolder.Load(dir);
        var data = TestData.BundledSplit;
        var again = new Evaluator().Evaluate(scorer, data.Test.FoldIn, data.Test.Targets);
        Assert.Equal(manifest.TestMetrics!["NDCG@100"].Mean, again.Get(MetricKind.Ndcg, 100).Mean, 6);

        // Training again into the same folder is refused rather than silently overwriting.
        Assert.Equal(2, RunCli("train", "--data", TestData.MovieLensSmall, "--epochs", "1", "--output", dir));
    }

    [Fact]
    public void AnOutputThatCannotHoldAModelIsRefusedBeforeTraining()
    {
        string parent = Directory.CreateTempSubdirectory("vaecf-out-").FullName;
        string file = Path.Combine(parent, "taken");
        File.WriteAllText(file, "not a folder");
        // --epochs 1000 would take minutes: the refusal comes before any training.
        Assert.Equal(2, RunCli("train", "--data", TestData.MovieLensSmall, "--epochs", "1000", "--output", file));
        Assert.Equal("not a folder", File.ReadAllText(file));
        string other = Path.Combine(parent, "data");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "notes.txt"), "mine");
        Assert.Equal(2, RunCli("train", "--data", TestData.MovieLensSmall, "--epochs", "1000", "--output", other, "--overwrite"));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(other, "notes.txt")));
    }

    [Theory]
    [InlineData("--p-dims", "200,-5")]
    [InlineData("--p-dims", "abc")]
    [InlineData("--batch-size", "0")]
    [InlineData("--threshold", "99")]
    [InlineData("--heldout-users", "100000")]
    [InlineData("--model", "gan")]
    [InlineData("--kind", "gan")]
    [InlineData("--anneal", "seed85", "--total-anneal-steps", "1000")]
    public void BadTrainingInputExitsWithAMessageAndWritesNothing(params string[] flags)
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("vaecf-bad-").FullName, "model");
        int code = RunCli(["train", "--data", TestData.MovieLensSmall, "--epochs", "1", "--output", dir, .. flags]);
        Assert.NotEqual(0, code);
        Assert.False(File.Exists(Path.Combine(dir, ModelStore.ConfigFile)));
    }

    [Fact]
    public void EvaluateCommandPrintsJson()
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("vaecf-eval-").FullName, "model");
        Assert.Equal(0, RunCli("train", "--data", TestData.MovieLensSmall, "--epochs", "2", "--output", dir, "--no-example"));
        var writer = new StringWriter();
        var original = Console.Out;
        Console.SetOut(writer);
        try { Assert.Equal(0, RunCli("evaluate", "--model", dir, "--data", TestData.MovieLensSmall, "--metrics", "ndcg@10,stdrecall@20", "--json")); }
        finally { Console.SetOut(original); }
        using var json = JsonDocument.Parse(writer.ToString().Trim().Split('\n')[^1]);
        var metrics = json.RootElement.GetProperty("metrics");
        Assert.True(metrics.TryGetProperty("NDCG@10", out _));
        Assert.True(metrics.TryGetProperty("StdRecall@20", out _));
        Assert.True(json.RootElement.GetProperty("same_training_data").GetBoolean());
    }
}
