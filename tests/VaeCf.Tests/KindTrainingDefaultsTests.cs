using System.Globalization;
using System.Text;
using Spectre.Console.Cli;
using VaeCf.Catalogue;
using VaeCf.Cli;
using VaeCf.Cli.Commands;
using VaeCf.Experiments;
using VaeCf.Persistence;
using VaeCf.Tests.RecVae;
using VaeCf.Training;

namespace VaeCf.Tests;

/// <summary>
/// A kind's own defaults for the shared training options (RecVAE: its authors' lr 5e-4 and 50
/// epochs): they fill what the caller left unset in the library, the CLI and grid files, and an
/// explicit value always wins, even one equal to the shared default.
/// </summary>
[Collection(ConsoleOutput.Name)]
public class KindTrainingDefaultsTests
{
    private static readonly ModelDefinition RecVae = ModelCatalogue.RecVae;

    [Fact]
    public void UnsetOptionsTakeTheKindsDefaultsAndOtherKindsKeepTheShared()
    {
        var recvae = RecVae.WithDefaults(new ModelSettings()).Training;
        Assert.Equal((5e-4f, 50, 500), (recvae.LearningRate, recvae.Epochs, recvae.BatchSize));
        Assert.Equal(new TrainingOptions(), ModelCatalogue.MultVae.WithDefaults(new ModelSettings()).Training);
        Assert.Equal(new TrainingOptions(), ModelCatalogue.MultVae.DefaultTraining);
        // Everything else the caller set stays as it was.
        var seeded = RecVae.WithDefaults(new ModelSettings { Training = new() { Seed = 7, Threads = 1, Anneal = AnnealSchedule.Constant } }).Training;
        Assert.Equal((7, 1, AnnealSchedule.Constant, 5e-4f, 50), (seeded.Seed, seeded.Threads, seeded.Anneal, seeded.LearningRate, seeded.Epochs));
    }

    [Fact]
    public void AnExplicitValueWinsEvenAtTheSharedDefault()
    {
        // Away from the shared default: set on purpose, no need to say so.
        var changed = RecVae.WithDefaults(new ModelSettings { Training = new() { Epochs = 7 } }).Training;
        Assert.Equal((7, 5e-4f), (changed.Epochs, changed.LearningRate));
        // At the shared default (lr 1e-3): only naming the key tells it apart from "not given".
        var named = RecVae.WithDefaults(new ModelSettings { Training = new() { LearningRate = 1e-3f }, GivenTrainingKeys = new HashSet<string> { "lr" } }).Training;
        Assert.Equal((1e-3f, 50), (named.LearningRate, named.Epochs));
        // Applying twice changes nothing.
        var once = RecVae.WithDefaults(new ModelSettings());
        Assert.Same(once, RecVae.WithDefaults(once));
    }

    [Fact]
    public void FitPipelineUsesThemAndConfigJsonRecordsThem()
    {
        var data = RecVaeTrainingTests.GroupedSplit();
        var settings = new ModelSettings
        {
            Architecture = RecVae.DefaultArchitecture! with { PDims = [8, 16] },
            Training = new() { Epochs = 2, Threads = 1 },
        };
        var result = FitPipeline.Fit(RecVae, data, settings);
        Assert.Equal((5e-4f, 2), (result.Settings.Training.LearningRate, result.Settings.Training.Epochs));
        Assert.All(result.History, e => Assert.Equal(5e-4f, e.LearningRate));
        using var files = new DataTestFiles();
        string dir = Path.Combine(files.Folder, "model");
        ModelFolder.Save(dir, result, data, "grouped");
        var training = ModelStore.ReadManifest(dir).Training!;
        Assert.Equal((5e-4f, 2), (training.LearningRate, training.Epochs));
    }

    [Fact]
    public void GridRunsGetThemUnlessTheFileOrCommandLineSetsTheKey()
    {
        using var files = new DataTestFiles();
        string grid = files.Write("g.yaml", """
            datasets: [a.csv]
            grids:
              - name: defaults
                model: recvae
              - name: authors
                model: recvae
                lr: 0.0005
                epochs: 50
              - name: shared
                model: recvae
                lr: 0.001
                epochs: 200
              - name: vae
                model: vae
            """);
        var runs = ExperimentGrid.Load(grid).Expand().ToDictionary(r => r.Stage);
        Assert.Equal((5e-4f, 50), (runs["defaults"].Training!.LearningRate, runs["defaults"].Training!.Epochs));
        // The same configuration as writing the authors' values out: the same id, so a grid that
        // spelled them out resumes into the same run folders.
        Assert.Equal(runs["authors"].ConfigId, runs["defaults"].ConfigId);
        Assert.Equal((1e-3f, 200), (runs["shared"].Training!.LearningRate, runs["shared"].Training!.Epochs));
        Assert.Equal((1e-3f, 200), (runs["vae"].Training!.LearningRate, runs["vae"].Training!.Epochs));
        // experiment --epochs is explicit too, whatever its value.
        var overridden = ExperimentGrid.Load(grid).Expand(new GridOverrides { Epochs = 200 }).First(r => r.Stage == "defaults");
        Assert.Equal((5e-4f, 200), (overridden.Training!.LearningRate, overridden.Training!.Epochs));
    }

    [Fact]
    public void CliFlagsMapToGivenKeys()
    {
        var plain = new TrainCommand.Settings { KindName = "recvae" }.ToModelSettings(10).Training;
        Assert.Equal((5e-4f, 50, 500), (plain.LearningRate, plain.Epochs, plain.BatchSize));
        var typed = new TrainCommand.Settings { KindName = "recvae", LearningRate = 1e-3f, Epochs = 200 }.ToModelSettings(10).Training;
        Assert.Equal((1e-3f, 200), (typed.LearningRate, typed.Epochs));
        var vae = new TrainCommand.Settings().ToModelSettings(10).Training;
        Assert.Equal((1e-3f, 200), (vae.LearningRate, vae.Epochs));
    }

    [Fact]
    public void TrainWritesTheDefaultsItUsedAndAnExplicitFlagWins()
    {
        using var files = new DataTestFiles();
        // 60 users, each liking the 5 items of one of 4 groups and one more: a split with validation and test users.
        var ratings = new StringBuilder("userId,movieId,rating,timestamp\n");
        for (int u = 0; u < 60; u++)
            foreach (int item in Enumerable.Range(u % 4 * 5, 5).Append(u * 7 % 20).Distinct())
                ratings.Append(CultureInfo.InvariantCulture, $"{u},{item},5,0\n");
        string data = files.Write("ratings.csv", ratings.ToString());
        string Train(string name, params string[] flags)
        {
            string dir = Path.Combine(files.Folder, name);
            var app = new CommandApp();
            app.Configure(CliSetup.Configure);
            Assert.Equal(0, app.Run(["train", "--data", data, "--kind", "recvae", "--p-dims", "4,8", "--threads", "1", "--no-example", "--output", dir, .. flags]));
            return dir;
        }
        string defaults = Train("defaults");
        var training = ModelStore.ReadManifest(defaults).Training!;
        Assert.Equal((5e-4f, 50, 500), (training.LearningRate, training.Epochs, training.BatchSize));
        Assert.Equal(50, HistoryCsv.Parse(Path.Combine(defaults, ModelStore.HistoryFile)).Count);
        string typed = Train("typed", "--lr", "0.001", "--epochs", "3");
        training = ModelStore.ReadManifest(typed).Training!;
        Assert.Equal((1e-3f, 3), (training.LearningRate, training.Epochs));
    }
}
