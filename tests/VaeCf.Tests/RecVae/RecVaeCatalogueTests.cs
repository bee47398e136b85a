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
        var options = RecVaeModel.TrainingOptionsFor(settings);
        Assert.Equal((5e-4f, 50, 0.4f, 9), (options.LearningRate, options.Epochs, options.Beta, options.Seed));
        Assert.Null(RecVaeModel.TrainingOptionsFor(new TrainingOptions()).Beta); // gamma * |history| unless the anneal is constant
        Assert.Contains("p_dims LATENT,HIDDEN", Assert.Throws<VaeCfException>(() =>
            kind.Validate(settings with { Architecture = settings.Architecture with { PDims = [1, 2, 3] } })).Message);
    }

    [Fact]
    public void ItsOwnOptionsAreDeclaredReachTheTrainerAndNameGridRuns()
    {
        var kind = (RecVaeModel)ModelCatalogue.RecVae;
        var settings = new ModelSettings { Options = kind.ParseOptions(["gamma=0.01", "encoder_layers=2", "encoder_passes=1"], "--option") };
        Assert.Equal(2, kind.Config(settings, 10).EncoderLayers);
        var options = RecVaeModel.TrainingOptionsFor(settings);
        Assert.Equal((0.01f, 1, 1), (options.Gamma, options.EncoderPasses, options.DecoderPasses));
        Assert.Equal(0.005f, RecVaeModel.TrainingOptionsFor(new ModelSettings()).Gamma);
        Assert.Contains("--option gamma must be a number >= 0, got -1.", Assert.Throws<VaeCfException>(() => kind.ParseOptions(["gamma=-1"], "--option")).Message);

        using var files = new DataTestFiles();
        string grid = files.Write("g.yaml", "datasets: [a.csv]\nmodel: recvae\np_dims: [8, 16]\ngamma: [0.005, 0.01]\nencoder_layers: 2\n");
        var runs = ExperimentGrid.Load(grid).Expand();
        Assert.Equal([0.005f, 0.01f], runs.Select(r => r.Settings.Get(RecVaeModel.Gamma)));
        Assert.All(runs, r => Assert.Equal(2, r.Settings.Get(RecVaeModel.EncoderLayers)));
        Assert.NotEqual(runs[0].ConfigId, runs[1].ConfigId);
        Assert.Contains("does not apply to model vae", Assert.Throws<VaeCfException>(() =>
            ExperimentGrid.Load(files.Write("v.yaml", "datasets: [a.csv]\nmodel: vae\ngamma: 0.01\n"))).Message);
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
