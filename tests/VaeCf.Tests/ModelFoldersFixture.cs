using VaeCf.Catalogue;
using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Tests;

/// <summary>
/// One small saved model folder of each kind (Mult-VAE, Mult-DAE, RecVAE, EASE, popularity), trained once
/// on synthetic clicks (300 items, IDs "1000".."1299"), for the tests that read a model from
/// outside VaeCf: the ONNX export and the Python/numpy scorer.
/// </summary>
public sealed class ModelFoldersFixture : IDisposable
{
    public const int Items = 300;
    public static readonly string[] Kinds = ["mult-vae", "mult-dae", "recvae", "ease", "popularity"];

    public SplitDataset Data { get; }
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "vaecf-model-folders-" + Guid.NewGuid().ToString("N"));

    public ModelFoldersFixture()
    {
        var train = SyntheticClicks.Generate(400, Items, meanClicksPerUser: 15, seed: 21);
        var foldIn = SyntheticClicks.Generate(40, Items, meanClicksPerUser: 12, seed: 22);
        var targets = SyntheticClicks.Generate(40, Items, meanClicksPerUser: 4, seed: 23);
        var held = new HeldOutSet { UserIds = Enumerable.Range(0, 40).Select(i => $"h{i}").ToArray(), FoldIn = foldIn, Targets = targets };
        Data = new SplitDataset
        {
            ItemIds = Enumerable.Range(1000, Items).Select(i => i.ToString()).ToArray(),
            TrainUserIds = Enumerable.Range(0, 400).Select(i => $"u{i}").ToArray(),
            Train = train,
            Validation = held,
            Test = held,
        };
        var training = new TrainingOptions { Epochs = 20, BatchSize = 100, LearningRate = 0.01f, Threads = 1, Seed = 5 };
        var settings = new Dictionary<ModelDefinition, ModelSettings>
        {
            [ModelCatalogue.MultVae] = new() { Architecture = new ModelConfig { Kind = ModelKind.MultVae, PDims = [24, 48] }, Training = training },
            [ModelCatalogue.MultDae] = new() { Architecture = new ModelConfig { Kind = ModelKind.MultDae, PDims = [32] }, Training = training },
            // RecVAE at latent 16, hidden 32 (p_dims LATENT,HIDDEN): five dense layers, layer norm, the mean head.
            [ModelCatalogue.RecVae] = new() { Architecture = new ModelConfig { Kind = ModelKind.MultVae, PDims = [16, 32] }, Training = training with { Epochs = 8 } },
            [ModelCatalogue.Ease] = new ModelSettings { Training = new TrainingOptions { Threads = 1 } }.With(Catalogue.Kinds.EaseModel.Lambda, 20f),
            [ModelCatalogue.Popularity] = new(),
        };
        foreach (var (kind, options) in settings)
            ModelFolder.Save(Folder(kind.Name), FitPipeline.Fit(kind, Data, options), Data, "synthetic");
    }

    public string Folder(string kind) => Path.Combine(Root, kind);

    /// <summary>The held-out users' fold-in histories, then an empty one (a brand-new user), as a CSR matrix.</summary>
    public CsrMatrix Histories()
    {
        var rows = Enumerable.Range(0, Data.Test.FoldIn.Rows).Select(u => Data.Test.FoldIn.RowIndices(u).ToArray()).Append([]).ToList();
        return CsrMatrix.FromRows(Items, rows);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
