using VaeCf.Catalogue;
using VaeCf.Experiments;
using VaeCf.Model.RecVae;
using VaeCf.Training;

namespace VaeCf.Tests.RecVae;

/// <summary>RecVAE through the catalogue: the names, the common options it reads, grid files and results.csv rows.</summary>
public class RecVaeCatalogueTests
{
    [Fact]
    public void RegisteredUnderItsNameAndReadsTheCommonOptions()
    {
        Assert.Same(ModelCatalogue.RecVae, ModelCatalogue.Default.Parse("RecVAE", "--model"));
        var kind = (RecVaeModel)ModelCatalogue.RecVae;
        var settings = new ModelSettings
        {
            Architecture = kind.DefaultArchitecture with { PDims = [50, 300], InputDropout = 0.3f },
            Training = new TrainingOptions { LearningRate = 5e-4f, Epochs = 50, Anneal = AnnealSchedule.Constant, AnnealCap = 0.4f, Seed = 9 },
        };
        var config = kind.Config(settings, 1000);
        Assert.Equal((1000, 50, 300, 0.3f), (config.ItemCount, config.LatentSize, config.HiddenSize, config.InputDropout));
        var options = RecVaeModel.Options(settings.Training);
        Assert.Equal((5e-4f, 50, 0.4f, 9), (options.LearningRate, options.Epochs, options.Beta, options.Seed));
        Assert.Null(RecVaeModel.Options(new TrainingOptions()).Beta); // gamma * |history| unless the anneal is constant
        Assert.Contains("p_dims LATENT,HIDDEN", Assert.Throws<VaeCfException>(() =>
            kind.Validate(settings with { Architecture = settings.Architecture with { PDims = [1, 2, 3] } })).Message);
    }

    [Fact]
    public void GridRunsAndResultsRows()
    {
        using var files = new DataTestFiles();
        string grid = files.Write("g.yaml", """
            datasets: [a.csv]
            grids:
              - name: recvae
                model: recvae
                p_dims: [[8, 16]]
                lr: [0.001, 0.003]
                epochs: 2
            """);
        var runs = ExperimentGrid.Load(grid).Expand();
        Assert.Equal(2, runs.Count);
        Assert.All(runs, r => Assert.Same(ModelCatalogue.RecVae, r.Kind));

        // A fit saved as a model folder reads back as a results.csv row with the network's columns.
        var data = RecVaeTrainingTests.GroupedSplit();
        var settings = runs[0].Settings with { Training = runs[0].Settings.Training with { Threads = 1 } };
        var result = FitPipeline.Fit(ModelCatalogue.RecVae, data, settings);
        string dir = Path.Combine(files.Folder, "run");
        ModelFolder.Save(dir, result, data, "grouped");
        var row = ResultRow.FromRunFolder(dir);
        Assert.Equal("recvae", row.Model);
        Assert.Equal("8-16", row.PDims);
        Assert.Equal(2, row.EpochsRun);
        Assert.Equal(result.Test!.Get(Evaluation.MetricKind.Ndcg, 100).Mean, row.N100, 12);
        var (loaded, _) = ModelFolder.Load(dir);
        var expected = new float[data.Test.FoldIn.Rows * data.ItemCount];
        var actual = new float[expected.Length];
        result.Scorer.Score(data.Test.FoldIn, 0, data.Test.FoldIn.Rows, expected);
        loaded.Score(data.Test.FoldIn, 0, data.Test.FoldIn.Rows, actual);
        Assert.Equal(expected, actual);
    }
}
