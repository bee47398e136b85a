using System.Buffers.Binary;
using System.Text;
using Spectre.Console.Cli;
using VaeCf.Split;
using VaeCf.Catalogue;
using VaeCf.Cli;
using VaeCf.Cli.Plotting;
using VaeCf.Experiments;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Training;

namespace VaeCf.Tests;

/// <summary>Fixtures shared by the experiment tests: a small ratings file and a grid over it.</summary>
internal static class ExperimentFixtures
{
    /// <summary>90 users over 40 items, every rating 5, so every event survives the 3.5 threshold; seeded, so the split is fixed.</summary>
    public static string WriteRatings(DataTestFiles files, string name = "ratings.csv")
    {
        var rng = new Random(7);
        var lines = new StringBuilder("userId,movieId,rating,timestamp\n");
        for (int u = 1; u <= 90; u++)
            foreach (int item in Enumerable.Range(1, 40).OrderBy(_ => rng.Next()).Take(6 + rng.Next(10)))
                lines.Append($"{u},{item},5,{1000 + item}\n");
        return files.Write(name, lines.ToString());
    }

    /// <summary>A grid of <c>2 sizes x 2 caps</c> Mult-VAE runs plus one Mult-DAE run, 2 epochs each.</summary>
    public static string WriteGrid(DataTestFiles files, string ratings) => files.Write("grid.yaml", $"""
        name: tiny
        datasets:
          - path: {ratings}
            name: tiny-data
            heldout_users: 10
        epochs: 2
        batch_size: 32
        threads: 1
        grids:
          - name: vae
            model: vae
            p_dims: [[4, 8], [6, 12]]
            anneal: seed85
            anneal_cap: [0.2, 1.0]
          - name: dae
            model: dae
            p_dims: [8]
        """);

    public static int RunCli(params string[] args)
    {
        var app = new CommandApp();
        app.Configure(CliSetup.Configure);
        return app.Run(args);
    }

    /// <summary>Checks the PNG signature and reads width and height from the IHDR chunk.</summary>
    public static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 100, $"{path} is too small to hold an image ({bytes.Length} bytes).");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", Encoding.ASCII.GetString(bytes, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }
}

public class GridTests
{
    [Fact]
    public void ExpandsTheCartesianProductPerStageAndDataset()
    {
        using var files = new DataTestFiles();
        string grid = files.Write("g.yaml", """
            datasets: [a.csv, {path: b.csv, threshold: none}]
            epochs: 5
            grids:
              - name: sizes
                p_dims: [[100, 300], [200, 600], "300,900"]
                lr: [0.001, 0.005]
              - name: dae
                model: dae
                dropout: [0.2, 0.5]
                epochs: 7
            """);
        var runs = ExperimentGrid.Load(grid).Expand();
        Assert.Equal(2 * 3 * 2 + 2 * 2, runs.Count);
        var sizes = runs.Where(r => r.Stage == "sizes").ToList();
        var combinations = sizes.Select(r => (r.Dataset.Name, string.Join(",", r.Model!.PDims), r.Training!.LearningRate)).ToHashSet();
        Assert.Equal(12, combinations.Count);
        foreach (var d in new[] { "a", "b" })
            foreach (var p in new[] { "100,300", "200,600", "300,900" })
                foreach (var lr in new[] { 0.001f, 0.005f })
                    Assert.Contains((d, p, lr), combinations);
        Assert.All(sizes, r => Assert.Equal(5, r.Training!.Epochs));
        var dae = runs.Where(r => r.Stage == "dae").ToList();
        // A stage's own key replaces the top-level default; unset p_dims follow the model's default.
        Assert.All(dae, r => { Assert.Equal(7, r.Training!.Epochs); Assert.Equal(ModelKind.MultDae, r.Model!.Kind); Assert.Equal([200], r.Model!.PDims); });
        Assert.Null(runs.First(r => r.Dataset.Name == "b").Dataset.Prepare.Preprocess.RatingThreshold);
        Assert.Equal(runs.Count, runs.Select(r => r.RunId).Distinct().Count());
    }

    [Fact]
    public void RunIdsAreDeterministicAndSeedsRepeatEachConfiguration()
    {
        using var files = new DataTestFiles();
        string yaml = files.Write("g.yaml", "datasets: [d.csv]\nmodel: vae\np_dims: [[4, 8], [6, 12]]\nanneal_cap: 0.3\n");
        string json = files.Write("g.json", """{ "name": "g", "datasets": ["d.csv"], "model": "vae", "p_dims": [[4, 8], [6, 12]], "anneal_cap": 0.3 }""");
        var a = ExperimentGrid.Load(yaml).Expand();
        var b = ExperimentGrid.Load(yaml).Expand();
        Assert.Equal(a.Select(r => r.RunId), b.Select(r => r.RunId));
        // The same configuration gets the same id from YAML and from JSON.
        Assert.Equal(a.Select(r => r.RunId), ExperimentGrid.Load(json).Expand().Select(r => r.RunId));
        Assert.Matches("^g-vae-4x8-d-s98765-[0-9a-f]{8}$", a[0].RunId);

        var seeded = ExperimentGrid.Load(yaml).Expand(new GridOverrides { Seeds = [1, 2, 3] });
        Assert.Equal(6, seeded.Count);
        Assert.Equal([1, 2, 3, 1, 2, 3], seeded.Select(r => r.Seed));
        // Seed repeats share a config id and differ in run id.
        Assert.Single(seeded.Take(3).Select(r => r.ConfigId).Distinct());
        Assert.Equal(3, seeded.Take(3).Select(r => r.RunId).Distinct().Count());
        Assert.NotEqual(seeded[0].ConfigId, seeded[3].ConfigId);
        // Threads change nothing but speed, so they leave the ids alone; epochs do not.
        Assert.Equal(a.Select(r => r.RunId), ExperimentGrid.Load(yaml).Expand(new GridOverrides { Threads = 1 }).Select(r => r.RunId));
        Assert.NotEqual(a[0].RunId, ExperimentGrid.Load(yaml).Expand(new GridOverrides { Epochs = 3 })[0].RunId);
    }

    [Theory]
    [InlineData("yaml", "datasets: [d.csv]\nlr_patiense: 3\n", "lr_patiense", "lr_patience")]
    [InlineData("json", """{"datasets": ["d.csv"], "grids": [{"name": "x", "anneal_cpa": 0.2}]}""", "anneal_cpa", "anneal_cap")]
    [InlineData("yaml", "datasets:\n  - path: d.csv\n    treshold: 4\n", "treshold", "threshold")]
    public void AnUnknownKeyIsAnErrorNamingTheKeyAndTheFile(string extension, string content, string key, string suggestion)
    {
        using var files = new DataTestFiles();
        string path = files.Write("bad." + extension, content);
        var error = Assert.Throws<VaeCfException>(() => ExperimentGrid.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains($"'{key}'", error.Message);
        Assert.Contains($"did you mean '{suggestion}'", error.Message);
    }

    [Theory]
    [InlineData("datasets: [d.csv]\nlr: fast\n", "lr")]
    [InlineData("datasets: [d.csv]\nmodel: [vae, gan]\n", "gan")]
    [InlineData("datasets: [d.csv]\np_dims: [[200, 600], [0]]\n", "p_dims")]
    [InlineData("datasets: [d.csv]\nlr: 0.001\nlr: 0.002\n", "lr")]
    [InlineData("model: vae\n", "datasets")]
    [InlineData("datasets: [d.csv]\ndropout: 1.5\n", "dropout")]
    [InlineData("datasets: [d.csv]\nmodel: dae\nhidden_dropout: 0.5\n", "hidden_dropout")]
    public void BadValuesAreErrorsNamingTheFile(string content, string mentioned)
    {
        using var files = new DataTestFiles();
        string path = files.Write("bad.yaml", content);
        var error = Assert.Throws<VaeCfException>(() => ExperimentGrid.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(mentioned, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TheRepositoryGridFileIsValid()
    {
        var grid = ExperimentGrid.Load(Path.Combine(DataTestFiles.RepoRoot(), "experiments", "paper-stages.yaml"));
        var runs = grid.Expand();
        Assert.True(runs.Count >= 10);
        Assert.Contains(runs, r => r.Model!.Kind == ModelKind.MultDae);
        Assert.Contains(runs, r => r.Training!.LrPatience > 0 && r.Training!.LearningRate == 0.005f);
        Assert.Contains(runs, r => r.Training!.AnnealCap == 1f);
        Assert.All(runs, r => Assert.True(Directory.Exists(r.Dataset.ResolvedPath), r.Dataset.ResolvedPath));
    }
}

public class ExperimentRunnerTests
{
    private sealed class CountingObserver : IExperimentObserver
    {
        public int Started, Skipped, Cleaned;
        public void OnRunStart(RunSpec run, int index, int total) => Started++;
        public void OnRunSkipped(RunSpec run, int index, int total) => Skipped++;
        public void OnIncompleteRunCleaned(RunSpec run, string folder) => Cleaned++;
    }

    [Fact]
    public void ResumesAfterAKilledRunWithoutLosingOrDuplicatingRows()
    {
        using var files = new DataTestFiles();
        var runs = ExperimentGrid.Load(ExperimentFixtures.WriteGrid(files, ExperimentFixtures.WriteRatings(files))).Expand();
        Assert.Equal(5, runs.Count);
        string output = files.PathOf("out");

        // First pass is "killed" after three runs: cancel once the third finishes.
        using var stop = new CancellationTokenSource();
        var first = new ExperimentRunner(output).Run(runs.Take(3).ToList(), "tiny", stop.Token);
        Assert.Equal(3, first.Trained);
        // A run killed while saving leaves a folder without config.json, and a stale results.csv.
        var killed = runs[3];
        string killedFolder = Path.Combine(output, ExperimentRunner.RunsFolder, killed.RunId);
        Directory.CreateDirectory(killedFolder);
        File.WriteAllText(Path.Combine(killedFolder, ModelStore.HistoryFile), "half a file");
        string results = Path.Combine(output, ResultsCsv.FileName);
        var lines = File.ReadAllLines(results);
        File.WriteAllLines(results, lines.Concat([lines[1]])); // a duplicated row from an interrupted append

        var observer = new CountingObserver();
        var second = new ExperimentRunner(output, observer).Run(runs, "tiny");
        Assert.Equal(3, observer.Skipped);
        Assert.Equal(1, observer.Cleaned);
        Assert.Equal(2, observer.Started);
        Assert.Equal(2, second.Trained);

        var rows = ResultsCsv.Parse(results);
        Assert.Equal(runs.Select(r => r.RunId).Order(), rows.Select(r => r.RunId).Order());
        Assert.All(runs, r => Assert.True(ExperimentRunner.IsComplete(Path.Combine(output, ExperimentRunner.RunsFolder, r.RunId))));
        Assert.Equal(HistoryCsv.Header, File.ReadLines(Path.Combine(killedFolder, ModelStore.HistoryFile)).First());

        // A third pass trains nothing and leaves the table as it was.
        var third = new ExperimentRunner(output).Run(runs, "tiny");
        Assert.Equal(0, third.Trained);
        Assert.Equal(rows.Select(r => r.RunId), ResultsCsv.Parse(results).Select(r => r.RunId));
    }

    [Fact]
    public void ResultsCsvHasTheSeedColumnsAndRoundTrips()
    {
        string[] seedColumns = ["model", "dataset", "p_dims", "dropout_enc", "dropout_dec", "weight_decay", "lr", "lr_scheduler", "lr_patience",
            "early_stop_patience", "anneal_cap", "batch_size", "best_epoch", "loss", "n100", "r20", "r50"];
        string[] extraColumns = ["run_id", "seed", "n100_se", "r20_se", "r50_se", "train_seconds", "val_n100", "val_r20", "val_r50"];
        Assert.All(seedColumns.Concat(extraColumns), c => Assert.Contains(c, ResultsCsv.Columns));
        Assert.Equal(ResultsCsv.Columns.Length, ResultsCsv.Columns.Distinct().Count());

        using var files = new DataTestFiles();
        var runs = ExperimentGrid.Load(ExperimentFixtures.WriteGrid(files, ExperimentFixtures.WriteRatings(files))).Expand(new GridOverrides { Seeds = [1, 2] });
        var subset = runs.Where(r => r.Stage == "dae").ToList();
        string output = files.PathOf("out");
        new ExperimentRunner(output).Run(subset);
        string path = Path.Combine(output, ResultsCsv.FileName);
        var text = File.ReadAllLines(path);
        Assert.Equal(ResultsCsv.Header, text[0]);
        Assert.Equal(3, text.Length);
        Assert.All(text.Skip(1), line => Assert.Equal(ResultsCsv.Columns.Length, line.Split(',').Length));
        var rows = ResultsCsv.Parse(path);
        Assert.Equal(ResultsCsv.Format(rows), File.ReadAllText(path));
        var row = rows[0];
        Assert.Equal("dae", row.Model);
        Assert.Equal("8", row.PDims);
        Assert.Equal(0.001, row.Lr);
        Assert.Equal(0.01 / 32, row.WeightDecay, 9); // the Mult-DAE default is written out
        Assert.Equal(2, row.EpochsRun);
        Assert.InRange(row.N100, 0, 1);
        Assert.True(row.N100Se > 0);
        Assert.True(double.IsFinite(row.Loss));

        var summary = SeedSummary.Of(rows);
        var only = Assert.Single(summary);
        Assert.Equal(2, only.Seeds);
        Assert.Equal((rows[0].N100 + rows[1].N100) / 2, only.N100.Mean, 12);
        Assert.Equal(Math.Abs(rows[0].N100 - rows[1].N100) / Math.Sqrt(2), only.N100.Sd, 12);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(output, SeedSummary.FileName)).Length);
    }
}

public class BetaTuningTests
{
    private static EpochRecord Epoch(int epoch, float beta, double ndcg) =>
        new(epoch, beta, 100, 90, ndcg, double.NaN, double.NaN, 1e-3f, 0.1, false);

    [Fact]
    public void PicksBetaAtTheBestValidationNdcg()
    {
        var history = new[]
        {
            Epoch(1, 0.00f, 0.10), Epoch(2, 0.05f, double.NaN), Epoch(3, 0.10f, 0.25), Epoch(4, 0.15f, 0.31),
            Epoch(5, 0.20f, 0.29), Epoch(6, 0.25f, double.NaN), Epoch(7, 0.30f, 0.31), Epoch(8, 0.35f, 0.20),
        };
        var pick = BetaTuning.PickBeta(history);
        // Epoch 7 ties epoch 4; the earlier, smaller beta wins. NaN (unevaluated) epochs are ignored.
        Assert.Equal(new BetaPick(4, 0.15f, 0.31), pick);
        Assert.Equal(0.15f, BetaTuning.RetrainOptions(new TrainingOptions { Anneal = AnnealSchedule.Seed85 }, pick).AnnealCap);
        Assert.Equal(1f, BetaTuning.AnnealOptions(new TrainingOptions()).AnnealCap);
        Assert.Throws<VaeCfException>(() => BetaTuning.PickBeta([Epoch(1, 0, double.NaN)]));
    }

    [Fact]
    public void TuneRetrainsWithThePickedCap()
    {
        var data = VaeCf.Split.DatasetLoader.Load(ExperimentFixtures.WriteRatings(new DataTestFiles()), new VaeCf.Split.PrepareOptions
        {
            Split = new VaeCf.Split.SplitOptions { ValidationUsers = VaeCf.Split.HeldOutSize.Users(10), TestUsers = VaeCf.Split.HeldOutSize.Users(10) },
        });
        var result = BetaTuning.Tune(data, new ModelConfig { PDims = [4, 8] },
            new TrainingOptions { Epochs = 6, BatchSize = 16, Anneal = AnnealSchedule.Seed85, Threads = 1 });
        Assert.Equal(1f, result.AnnealOptions.AnnealCap);
        Assert.Equal(BetaTuning.PickBeta(result.Anneal.History), result.Pick);
        Assert.Equal(result.Pick!.Beta, result.RetrainOptions!.AnnealCap);
        Assert.True(result.Retrain!.History.All(h => h.Beta <= result.Pick.Beta + 1e-6f));
        Assert.Throws<VaeCfException>(() => BetaTuning.Tune(data, new ModelConfig { Kind = ModelKind.MultDae, PDims = [4] }, new TrainingOptions()));
    }
}

public class PlotAndReportTests
{
    [Fact]
    public void EveryPlotIsAPngOfTheRequestedSize()
    {
        using var files = new DataTestFiles();
        var runs = ExperimentGrid.Load(ExperimentFixtures.WriteGrid(files, ExperimentFixtures.WriteRatings(files))).Expand();
        string output = files.PathOf("out");
        new ExperimentRunner(output).Run(runs);

        var size = new FigureSize(320, 200);
        var figures = ExperimentPlots.PlotAll(output, files.PathOf("figures"), size);
        // NDCG vs dimension, metrics vs loss once per model (a VAE's loss holds beta KL, a DAE's does not),
        // then per run its validation curve ("anneal-" only for the four VAE runs) and training curves.
        Assert.Equal(3 + 2 * runs.Count, figures.Count);
        foreach (var name in new[] { "ndcg-vs-dimension.png", "metrics-vs-loss-vae.png", "metrics-vs-loss-dae.png" })
            Assert.Contains(figures, f => Path.GetFileName(f.Path) == name);
        Assert.Equal(4, figures.Count(f => Path.GetFileName(f.Path).StartsWith("anneal-vae-", StringComparison.Ordinal)));
        Assert.Single(figures, f => Path.GetFileName(f.Path).StartsWith("validation-dae-", StringComparison.Ordinal));
        Assert.DoesNotContain(figures, f => Path.GetFileName(f.Path).StartsWith("anneal-dae", StringComparison.Ordinal));
        Assert.Equal(runs.Count, figures.Count(f => Path.GetFileName(f.Path).StartsWith("curves-", StringComparison.Ordinal)));
        // Captions name runs in words, never by their hash id.
        Assert.All(figures, f => Assert.DoesNotContain(runs, r => f.Caption.Contains(r.RunId, StringComparison.Ordinal)));
        foreach (var figure in figures)
            Assert.Equal((320, 200), ExperimentFixtures.PngSize(figure.Path));
        Assert.Empty(Directory.GetFiles(files.PathOf("figures"), "*.tmp*"));

        var top = ExperimentPlots.PlotAll(output, files.PathOf("top"), size, topRuns: 2);
        Assert.Equal(3 + 2 * 2, top.Count);
    }

    [Fact]
    public void CommandsRunAGridThenPlotAndReport()
    {
        using var files = new DataTestFiles();
        string grid = ExperimentFixtures.WriteGrid(files, ExperimentFixtures.WriteRatings(files));
        string output = files.PathOf("out");
        Assert.Equal(0, ExperimentFixtures.RunCli("experiment", "--grid", grid, "--output", output, "--epochs", "1", "--seeds", "1,2"));
        Assert.Equal(10, ResultsCsv.Parse(Path.Combine(output, ResultsCsv.FileName)).Count);
        // Rerunning finds everything done.
        Assert.Equal(0, ExperimentFixtures.RunCli("experiment", "--grid", grid, "--output", output, "--epochs", "1", "--seeds", "1,2"));
        Assert.Equal(10, ResultsCsv.Parse(Path.Combine(output, ResultsCsv.FileName)).Count);

        Assert.Equal(0, ExperimentFixtures.RunCli("plot", "--runs", output, "--top", "1", "--width", "300", "--height", "200"));
        // NDCG vs dimension, metrics vs loss for the VAE and the DAE, two figures of the top run.
        Assert.Equal(5, Directory.GetFiles(Path.Combine(output, "figures"), "*.png").Length);

        string report = files.PathOf("report/report.md");
        Assert.Equal(0, ExperimentFixtures.RunCli("report", "--runs", output, "--output", report, "--top", "1"));
        string markdown = File.ReadAllText(report);
        Assert.Contains("## Best run per model and dataset", markdown);
        Assert.Contains("## Across seeds (mean ± sd)", markdown);
        Assert.Contains("](figures/ndcg-vs-dimension.png)", markdown);
        Assert.True(File.Exists(files.PathOf("report/figures/ndcg-vs-dimension.png")));

        string bad = files.Write("bad.yaml", "datasets: [x.csv]\nlearning_rate: 0.1\n");
        Assert.Equal(2, ExperimentFixtures.RunCli("experiment", "--grid", bad, "--output", output));
    }

    [Fact]
    public void TuneBetaKeepsBothRunsAndSavesASummary()
    {
        using var files = new DataTestFiles();
        string ratings = ExperimentFixtures.WriteRatings(files);
        string output = files.PathOf("tune");
        Assert.Equal(0, ExperimentFixtures.RunCli("tune-beta", "--data", ratings, "--heldout-users", "10", "--p-dims", "4,8", "--epochs", "6",
            "--batch-size", "16", "--threads", "1", "--output", output));
        var summary = System.Text.Json.JsonSerializer.Deserialize<VaeCf.Cli.Commands.TuneBetaCommand.Summary>(
            File.ReadAllText(Path.Combine(output, VaeCf.Cli.Commands.TuneBetaCommand.SummaryFile)), ModelManifest.Json)!;
        Assert.Equal("seed85", summary.Anneal);
        Assert.Equal(1f, ModelStore.ReadManifest(Path.Combine(output, "anneal")).Training!.AnnealCap);
        Assert.Equal(summary.Beta, ModelStore.ReadManifest(Path.Combine(output, "retrain")).Training!.AnnealCap);
        Assert.Equal(summary.AnnealedToOne.BetaAtBest, summary.Beta);
        Assert.Equal((900, 560), ExperimentFixtures.PngSize(Path.Combine(output, "figures", "anneal-stage1.png")));
        // The cap is what tune-beta chooses, and Mult-DAE has no beta to tune.
        Assert.Equal(2, ExperimentFixtures.RunCli("tune-beta", "--data", ratings, "--anneal-cap", "0.3", "--output", files.PathOf("x")));
        Assert.Equal(2, ExperimentFixtures.RunCli("tune-beta", "--data", ratings, "--model", "dae", "--output", files.PathOf("y")));
    }
}
