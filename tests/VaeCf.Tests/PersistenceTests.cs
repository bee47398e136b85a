using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;

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
        ModelStore.SaveAutoencoder(dir, net, new ModelManifest { Model = "mult-vae", Items = items });
        var (loaded, manifest) = ModelStore.LoadAutoencoder(dir, new GemmEngine(1));
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
        Assert.Contains("config.json", Assert.Throws<VaeCfException>(() => ModelStore.LoadAutoencoder(dir)).Message);
    }
}
