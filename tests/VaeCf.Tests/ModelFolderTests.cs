using System.Text.Json;
using VaeCf.Catalogue;
using VaeCf.Catalogue.Kinds;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Training;

namespace VaeCf.Tests;

/// <summary>The model folder on disk: the fixed config.json format, checksums verified on load, and the whole-folder swap.</summary>
public class ModelFolderTests
{
    private static string NewFolder() => Path.Combine(Directory.CreateTempSubdirectory("vaecf-folder-").FullName, "model");

    private static (FitResult Result, Split.SplitDataset Data) QuickFit(ModelDefinition kind) =>
        (FitPipeline.Fit(kind, Contract.ModelContractTests.Checkerboard(), new ModelSettings
        {
            Architecture = kind.DefaultArchitecture is { } a ? a with { PDims = [4] } : null,
            Training = new TrainingOptions { Epochs = 2, BatchSize = 8, Threads = 1 },
        }), Contract.ModelContractTests.Checkerboard());

    [Fact]
    public void TheFileSectionsWriteWhatTheRecordsWroteBefore()
    {
        // Version 1 serialized the records themselves; the sections must keep every name and value.
        var json = ModelManifest.Json;
        foreach (var options in new[]
        {
            new TrainingOptions(),
            new TrainingOptions { Optimizer = OptimizerKind.AdamW, WeightDecay = 0.25f, Anneal = AnnealSchedule.Seed85, LrMonitor = MonitoredMetric.Loss, EarlyStopMonitor = MonitoredMetric.Loss, Threads = 3 },
            new TrainingOptions { Anneal = AnnealSchedule.Constant, LrPatience = 2, EarlyStopPatience = 5, EvaluateEvery = 4, EvaluationBatchSize = 7, Seed = -1 },
        })
            Assert.Equal(JsonSerializer.Serialize(options, json), JsonSerializer.Serialize(TrainingSection.From(options), json));
        foreach (var config in new[]
        {
            ModelConfig.Default(ModelKind.MultVae, 10),
            new ModelConfig { Kind = ModelKind.MultDae, ItemCount = 3, PDims = [5, 6], QDims = [7, 5], InputDropout = 0.25f, HiddenDropout = 0.125f },
        })
            Assert.Equal(JsonSerializer.Serialize(config, json), JsonSerializer.Serialize(ArchitectureSection.From(config), json));
    }

    [Fact]
    public void AVersionTwoFolderListsTheChecksumOfEveryFile()
    {
        var (result, data) = QuickFit(ModelCatalogue.MultDae);
        string dir = NewFolder();
        ModelFolder.Save(dir, result, data, "checkerboard");
        var manifest = ModelStore.ReadManifest(dir);
        Assert.Equal(2, manifest.Version);
        Assert.Equal([ModelStore.HistoryFile, ModelStore.WeightsFile], manifest.Files!.Keys.Order(StringComparer.Ordinal));
        foreach (var (file, sum) in manifest.Files) Assert.Equal(ModelStore.Sha256(Path.Combine(dir, file)), sum);
        // The decay a Mult-DAE trained with is stored, not left null (0.01 / batch size by default).
        Assert.Equal(0.01f / 8, manifest.Training!.WeightDecay);
    }

    [Fact]
    public void AMixedOrDamagedFolderIsRefusedNamingTheFile()
    {
        var (result, data) = QuickFit(ModelCatalogue.MultVae);
        string first = NewFolder(), second = NewFolder();
        ModelFolder.Save(first, result, data, "a");
        ModelFolder.Save(second, FitPipeline.Fit(ModelCatalogue.MultVae, data, result.Settings with { Training = result.Settings.Training with { Seed = 99 } }), data, "b");

        // New weights beside the old config.json: what a save killed midway left before folders were swapped whole.
        File.Copy(Path.Combine(second, ModelStore.WeightsFile), Path.Combine(first, ModelStore.WeightsFile), overwrite: true);
        var mixed = Assert.Throws<VaeCfException>(() => ModelFolder.Load(first));
        Assert.Contains(ModelStore.WeightsFile, mixed.Message);
        Assert.Contains("checksum", mixed.Message);

        // One flipped byte in the history is caught too, and a missing file is named.
        string history = Path.Combine(second, ModelStore.HistoryFile);
        var bytes = File.ReadAllBytes(history);
        bytes[^2] ^= 1;
        File.WriteAllBytes(history, bytes);
        Assert.Contains(ModelStore.HistoryFile, Assert.Throws<VaeCfException>(() => ModelFolder.Load(second)).Message);
        File.Delete(history);
        Assert.Contains("is missing", Assert.Throws<VaeCfException>(() => ModelFolder.Load(second)).Message);
    }

    [Fact]
    public void ASaveReplacesTheFolderWholeAndRecoversFromAKilledOne()
    {
        var (result, data) = QuickFit(ModelCatalogue.Popularity);
        string dir = NewFolder();
        string parent = Path.GetDirectoryName(dir)!;
        ModelFolder.Save(dir, result, data, "first");
        // A save killed between its two renames leaves the old folder aside and no folder in place:
        // the next save puts nothing in its way and cleans both leftovers.
        Directory.Move(dir, Path.Combine(parent, ".model.old-killed"));
        Directory.CreateDirectory(Path.Combine(parent, ".model.partial-killed"));
        ModelStore.RecoverInterruptedSave(dir);
        Assert.Equal("first", ModelStore.ReadManifest(dir).Dataset!.Source);
        Directory.Move(dir, Path.Combine(parent, ".model.old-killed"));
        Directory.CreateDirectory(Path.Combine(parent, ".model.partial-killed"));
        ModelFolder.Save(dir, result, data, "second");
        Assert.Equal("second", ModelStore.ReadManifest(dir).Dataset!.Source);
        Assert.Equal(["model"], Directory.GetFileSystemEntries(parent).Select(Path.GetFileName));
    }

    [Fact]
    public void TheOutputIsCheckedBeforeAnyFit()
    {
        string parent = Directory.CreateTempSubdirectory("vaecf-output-").FullName;
        string file = Path.Combine(parent, "a-file");
        File.WriteAllText(file, "x");
        Assert.Contains("is a file", Assert.Throws<VaeCfException>(() => ModelStore.CheckWritable(file, overwrite: true)).Message);

        string data = Path.Combine(parent, "data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "ratings.dat"), "1::2::5::0");
        // A folder with someone else's files is never swapped away, even with --overwrite.
        Assert.Contains("ratings.dat", Assert.Throws<VaeCfException>(() => ModelStore.CheckWritable(data, overwrite: true)).Message);
        File.Delete(Path.Combine(data, "ratings.dat"));
        File.WriteAllText(Path.Combine(data, "ratings.csv"), "userId,movieId\n1,2\n");
        Assert.Contains("ratings.csv", Assert.Throws<VaeCfException>(() => ModelStore.CheckWritable(data, overwrite: true)).Message);

        var (result, split) = QuickFit(ModelCatalogue.Popularity);
        string model = Path.Combine(parent, "model");
        ModelFolder.Save(model, result, split, "x");
        Assert.Contains("--overwrite", Assert.Throws<VaeCfException>(() => ModelStore.CheckWritable(model, overwrite: false)).Message);
        ModelStore.CheckWritable(model, overwrite: true);
        ModelStore.CheckWritable(Path.Combine(parent, "new", "deeper"), overwrite: false);
    }

    [Fact]
    public void AMultDaeHeaderShowsItsDecayNotAnAnnealingCap()
    {
        var settings = new ModelSettings { Training = new TrainingOptions { BatchSize = 100 } };
        Assert.DoesNotContain("anneal", ModelCatalogue.MultDae.Describe(settings, 50));
        Assert.Contains("weight decay 0.0001", ModelCatalogue.MultDae.Describe(settings, 50));
        Assert.Contains("anneal paper cap 0.2", ModelCatalogue.MultVae.Describe(settings, 50));
    }
}

public class RecommendationOutputTests
{
    [Fact]
    public void JsonLinesAreTheHttpAnswerWithTheUserFirst()
    {
        var result = new Serving.RecommendationResult(
            [new Serving.RecommendedItem("7", -3.25f, "A, \"quoted\" title"), new Serving.RecommendedItem("8", 0.5f, null)], ["nope"]);
        var text = new StringWriter();
        new Serving.RecommendationWriter(text, Serving.RecommendationWriter.Format.JsonLines).Write("u1", result);
        Assert.Equal("{\"user\":\"u1\",\"items\":[{\"id\":\"7\",\"score\":-3.25,\"title\":\"A, \\u0022quoted\\u0022 title\"},{\"id\":\"8\",\"score\":0.5}],\"unknown_items\":[\"nope\"],\"unknown_count\":1}",
            text.ToString().TrimEnd());
        var csv = new StringWriter();
        new Serving.RecommendationWriter(csv, Serving.RecommendationWriter.Format.Csv).Write("u1", result);
        Assert.Equal("user,rank,item,score,title\nu1,1,7,-3.25,\"A, \"\"quoted\"\" title\"\nu1,2,8,0.5,\n", csv.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void NonFiniteScoresAreRefusedNotWritten()
    {
        var result = new Serving.RecommendationResult([new Serving.RecommendedItem("8", 0.5f, null), new Serving.RecommendedItem("7", float.NegativeInfinity, null)], []);
        foreach (var format in new[] { Serving.RecommendationWriter.Format.JsonLines, Serving.RecommendationWriter.Format.Csv })
        {
            var text = new StringWriter();
            Assert.Throws<Serving.NonFiniteScoreException>(() => new Serving.RecommendationWriter(text, format).Write("u1", result));
            Assert.Equal("", text.ToString());
        }
    }
}
