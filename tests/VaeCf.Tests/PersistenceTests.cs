using VaeCf.Catalogue;
using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Catalogue.Kinds;

namespace VaeCf.Tests;

public class PersistenceTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("vaecf-test-").FullName;

    [Fact]
    public void SafeTensorsRoundTripsNamesShapesValuesAndMetadata()
    {
        string path = Path.Combine(TempDir(), "t.safetensors");
        var tensors = new List<NamedTensor>
        {
            new("a", [2, 3], [1, 2, 3, 4, 5, 6]),
            new("b", [1], [float.MinValue]),
        };
        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["k"] = "v" });
        var (read, meta) = SafeTensors.Read(path);
        Assert.Equal("v", meta["k"]);
        Assert.Equal(new[] { 2, 3 }, read["a"].Shape);
        Assert.Equal(tensors[0].Data, read["a"].Data);
        Assert.Equal(tensors[1].Data, read["b"].Data);
        // Header layout: 8-byte length, then JSON padded to a multiple of 8.
        var bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal(8 + headerLength + 7 * 4, bytes.Length);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp-*"));
    }

    [Fact]
    public void CorruptSafeTensorsGivesAClearError()
    {
        string path = Path.Combine(TempDir(), "bad.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<VaeCfException>(() => SafeTensors.Read(path)).Message);
    }

    [Fact]
    public void SavedThenLoadedModelScoresBitIdentically()
    {
        var config = new ModelConfig { Kind = ModelKind.MultVae, ItemCount = 30, PDims = [4, 8] };
        var net = new AutoencoderNetwork(config, new GemmEngine(1));
        net.Initialize(9);
        var items = Enumerable.Range(0, 30).Select(i => $"item{i}").ToArray();
        string dir = TempDir();
        AutoencoderModel.SaveNetwork(dir, net, new ModelManifest { Model = "mult-vae", Items = items });
        var (loaded, manifest) = ModelFolder.Load(dir, new GemmEngine(1));
        Assert.Equal(items, manifest.Items);
        Assert.Equal(config.PDims, manifest.Architecture!.PDims);
        var histories = SyntheticClicks.Generate(7, 30, meanClicksPerUser: 5, seed: 3);
        var a = new float[7 * 30];
        var b = new float[7 * 30];
        net.Score(histories, 0, 7, a);
        loaded.Score(histories, 0, 7, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void IncompleteModelFolderIsReportedNotCrashed()
    {
        string dir = TempDir();
        Assert.Contains("config.json", Assert.Throws<VaeCfException>(() => ModelFolder.Load(dir)).Message);
    }
}

public class BaselinePersistenceTests
{
    [Fact]
    public void EaseAndPopularityRoundTripThroughModelFolders()
    {
        var data = TestData.BundledSplit;
        var clicks = Data.SyntheticClicks.Generate(50, data.ItemCount, meanClicksPerUser: 10, seed: 2);
        int items = data.ItemCount;

        var popularityFit = FitPipeline.Fit(ModelCatalogue.Popularity, data, new ModelSettings());
        var popularity = popularityFit.Scorer;
        string popDir = Directory.CreateTempSubdirectory("vaecf-pop-").FullName;
        ModelFolder.Save(popDir, popularityFit, data, "test");
        var (popLoaded, popManifest) = ModelFolder.Load(popDir);
        Assert.Equal("popularity", popManifest.Model);
        var a = new float[3 * items]; var b = new float[3 * items];
        popularity.Score(clicks, 0, 3, a);
        popLoaded.Score(clicks, 0, 3, b);
        Assert.Equal(a, b);

        // A small EASE on a 300-item synthetic problem keeps the test quick.
        var small = Data.SyntheticClicks.Generate(400, 300, meanClicksPerUser: 12, seed: 5);
        var smallData = new Split.SplitDataset
        {
            ItemIds = Enumerable.Range(0, 300).Select(i => $"i{i}").ToArray(),
            TrainUserIds = Enumerable.Range(0, 400).Select(i => $"u{i}").ToArray(),
            Train = small,
            Validation = new Split.HeldOutSet { UserIds = [], FoldIn = Data.CsrMatrix.FromRows(300, []), Targets = Data.CsrMatrix.FromRows(300, []) },
            Test = new Split.HeldOutSet { UserIds = [], FoldIn = Data.CsrMatrix.FromRows(300, []), Targets = Data.CsrMatrix.FromRows(300, []) },
        };
        string easeDir = Directory.CreateTempSubdirectory("vaecf-ease-").FullName;
        var easeFit = FitPipeline.Fit(ModelCatalogue.Ease, smallData, new ModelSettings().With(Catalogue.Kinds.EaseModel.Lambda, 50f));
        var ease = easeFit.Scorer;
        ModelFolder.Save(easeDir, easeFit, smallData, "test");
        var (easeLoaded, easeManifest) = ModelFolder.Load(easeDir);
        Assert.Equal(50, easeManifest.Hyperparameters!["lambda"]);
        var c = new float[5 * 300]; var d = new float[5 * 300];
        ease.Score(small, 0, 5, c);
        easeLoaded.Score(small, 0, 5, d);
        Assert.Equal(c, d);
    }
}
