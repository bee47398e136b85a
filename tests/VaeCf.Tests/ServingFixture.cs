using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Serving;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Tests;

/// <summary>A small Mult-VAE trained once for the serving tests; item IDs are "100".."259" so IDs differ from columns.</summary>
public sealed class ServingFixture
{
    public const int Items = 160;
    public SplitDataset Data { get; }
    public AutoencoderNetwork Network { get; }
    public ModelManifest Manifest { get; }

    public ServingFixture()
    {
        var train = SyntheticClicks.Generate(150, Items, meanClicksPerUser: 10, seed: 11);
        var foldIn = SyntheticClicks.Generate(20, Items, meanClicksPerUser: 8, seed: 12);
        var targets = SyntheticClicks.Generate(20, Items, meanClicksPerUser: 3, seed: 13);
        var held = new HeldOutSet { UserIds = Enumerable.Range(0, 20).Select(i => $"h{i}").ToArray(), FoldIn = foldIn, Targets = targets };
        Data = new SplitDataset
        {
            ItemIds = Enumerable.Range(100, Items).Select(i => i.ToString()).ToArray(),
            TrainUserIds = Enumerable.Range(0, 150).Select(i => $"u{i}").ToArray(),
            Train = train,
            Validation = held,
            Test = held,
        };
        var result = new Trainer(new TrainingOptions { Epochs = 3, BatchSize = 50, Threads = 1, Seed = 3 })
            .Train(Data, new ModelConfig { Kind = ModelKind.MultVae, PDims = [16, 32] });
        Network = result.Network;
        Manifest = new ModelManifest { Model = "mult-vae", Items = Data.ItemIds, Architecture = Network.Config };
    }

    public Recommender NewRecommender(ItemMetadata? metadata = null) => new(Network, Manifest, metadata);

    /// <summary>The IDs of training user <paramref name="row"/>'s items.</summary>
    public string[] TrainHistory(int row)
    {
        var ids = new List<string>();
        foreach (int c in Data.Train.RowIndices(row)) ids.Add(Data.ItemIds[c]);
        return ids.ToArray();
    }

    /// <summary>Saves the model into a new temporary folder and returns it.</summary>
    public string SaveToTemp(AutoencoderNetwork? network = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "vaecf-serving-" + Guid.NewGuid().ToString("N"));
        Catalogue.Kinds.AutoencoderModel.SaveNetwork(dir, network ?? Network, Manifest);
        return dir;
    }
}
