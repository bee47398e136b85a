using VaeCf.Catalogue;
using VaeCf.Baselines;
using VaeCf.Cli.Plotting;
using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Experiments;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Serving;
using VaeCf.Split;

namespace VaeCf.Tests;

/// <summary>Popularity and EASE in experiment grids: expansion, key checks, runs, resume, results, plots, report, recommend.</summary>
public class BaselineExperimentTests
{
    /// <summary>Baselines (popularity once, EASE at two lambdas) beside one 2-epoch Mult-DAE, on the tiny ratings fixture.</summary>
    private static string WriteGrid(DataTestFiles files, string ratings) => files.Write("baselines.yaml", $"""
        name: tiny-baselines
        datasets:
          - path: {ratings}
            name: tiny-data
            heldout_users: 10
        epochs: 2
        batch_size: 32
        threads: 1
        grids:
          - name: baselines
            model: [popularity, ease]
            lambda: [1, 10]
          - name: dae
            model: dae
            p_dims: [8]
        """);

    [Fact]
    public void BaselineStagesExpandOnceEachAndIgnoreNetworkDefaults()
    {
        using var files = new DataTestFiles();
        // Top-level network defaults (p_dims, anneal_cap, epochs, seed) must not leak into, or break, the baseline stages.
        string grid = files.Write("g.yaml", """
            datasets: [d.csv]
            p_dims: [100, 300]
            anneal_cap: 0.3
            epochs: 5
            seed: 7
            grids:
              - name: baselines
                model: [popularity, ease]
                lambda: [50, 200, 500]
              - name: ease-default
                model: ease
              - name: vae
                model: vae
            """);
        var runs = ExperimentGrid.Load(grid).Expand(new GridOverrides { Seeds = [1, 2], Epochs = 3, Threads = 1 });
        var baselines = runs.Where(r => r.Stage == "baselines").ToList();
        // Popularity has no lambda and no seed: one run, not 3 x 2. EASE: one per lambda, not per seed.
        Assert.Equal(4, baselines.Count);
        var popularity = Assert.Single(baselines, r => r.Kind == ModelCatalogue.Popularity);
        Assert.Null(popularity.Lambda);
        Assert.Equal([50f, 200f, 500f], baselines.Where(r => r.Kind == ModelCatalogue.Ease).Select(r => r.Lambda!.Value));
        Assert.All(baselines, r =>
        {
            Assert.True(r.IsBaseline);
            Assert.Null(r.Model);
            Assert.Null(r.Training);
            Assert.Equal(1, r.Threads);
            Assert.Equal(0, r.Seed);
        });
        Assert.Equal("ease", baselines[1].ModelName);
        Assert.Matches("^baselines-ease-l50-d-[0-9a-f]{8}$", baselines[1].RunId);
        Assert.Matches("^baselines-popularity-d-[0-9a-f]{8}$", popularity.RunId);
        Assert.Equal(500f, Assert.Single(runs, r => r.Stage == "ease-default").Lambda);

        // The network stage still takes the defaults and the seeds.
        var vae = runs.Where(r => r.Stage == "vae").ToList();
        Assert.Equal(2, vae.Count);
        Assert.All(vae, r => { Assert.Equal([100, 300], r.Model!.PDims); Assert.Equal(0.3f, r.Training!.AnnealCap); Assert.Equal(3, r.Training.Epochs); });
        Assert.Equal([1, 2], vae.Select(r => r.Seed));

        // Threads are execution only, and lambda is part of the identity.
        var again = ExperimentGrid.Load(grid).Expand();
        Assert.Equal(baselines.Select(r => r.RunId), again.Where(r => r.Stage == "baselines").Select(r => r.RunId));
        Assert.Equal(4, baselines.Select(r => r.ConfigId).Distinct().Count());
    }

    [Theory]
    [InlineData("datasets: [d.csv]\nmodel: ease\np_dims: [200]\n", "p_dims")]
    [InlineData("datasets: [d.csv]\ngrids:\n  - name: b\n    model: ease\n    anneal_cap: 0.2\n", "anneal_cap")]
    [InlineData("datasets: [d.csv]\ngrids:\n  - name: b\n    model: [popularity, ease]\n    lr: 0.01\n", "lr")]
    [InlineData("datasets: [d.csv]\nmodel: popularity\nlambda: 10\n", "lambda")]
    [InlineData("datasets: [d.csv]\nmodel: vae\nlambda: 10\n", "lambda")]
    [InlineData("datasets: [d.csv]\nlambda: 10\n", "lambda")]
    [InlineData("datasets: [d.csv]\nmodel: ease\nseed: 3\n", "seed")]
    public void ANetworkKeyOnABaselineStageOrLambdaElsewhereIsAnErrorNamingTheKeyAndFile(string content, string key)
    {
        using var files = new DataTestFiles();
        string path = files.Write("bad.yaml", content);
        var error = Assert.Throws<VaeCfException>(() => ExperimentGrid.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains($"key '{key}' does not apply", error.Message);
    }

    [Theory]
    [InlineData("datasets: [d.csv]\nmodel: ease\nlambda: 0\n", "lambda")]
    [InlineData("datasets: [d.csv]\nmodel: ease\nlambda: lots\n", "lambda")]
    [InlineData("datasets: [d.csv]\nmodel: [vae, knn]\n", "knn")]
    public void BadBaselineValuesAreErrors(string content, string mentioned)
    {
        using var files = new DataTestFiles();
        string path = files.Write("bad.yaml", content);
        var error = Assert.Throws<VaeCfException>(() => ExperimentGrid.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(mentioned, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AMixedStageAppliesEachKeyToTheModelsItFits()
    {
        using var files = new DataTestFiles();
        string path = files.Write("mixed.yaml", "datasets: [d.csv]\nmodel: [vae, ease]\np_dims: [[4, 8], [6, 12]]\nlambda: 20\n");
        var runs = ExperimentGrid.Load(path).Expand();
        Assert.Equal(3, runs.Count);
        Assert.Equal(20f, Assert.Single(runs, r => r.IsBaseline).Lambda);
        Assert.Equal(2, runs.Count(r => !r.IsBaseline));
    }

    [Fact]
    public void RunsBaselinesIntoResultsWithTheLambdaColumnAndResumesWithoutDuplicates()
    {
        using var files = new DataTestFiles();
        string ratings = ExperimentFixtures.WriteRatings(files);
        var grid = ExperimentGrid.Load(WriteGrid(files, ratings));
        var runs = grid.Expand();
        Assert.Equal(4, runs.Count); // popularity, EASE x 2, DAE
        string output = files.PathOf("out");
        var first = new ExperimentRunner(output).Run(runs, grid.Name);
        Assert.Equal(4, first.Trained);
        Assert.Equal(0, first.Failed);

        string resultsPath = Path.Combine(output, ResultsCsv.FileName);
        var rows = ResultsCsv.Parse(resultsPath);
        Assert.Equal(runs.Select(r => r.RunId).Order(), rows.Select(r => r.RunId).Order());
        Assert.Contains("lambda", ResultsCsv.Columns);
        var popularity = Assert.Single(rows, r => r.Model == "popularity");
        var ease = rows.Where(r => r.Model == "ease").OrderBy(r => r.Lambda).ToList();
        Assert.Equal([1.0, 10.0], ease.Select(r => r.Lambda));
        Assert.True(double.IsNaN(popularity.Lambda));
        Assert.True(double.IsNaN(rows.Single(r => r.Model == "dae").Lambda));
        foreach (var r in ease.Append(popularity))
        {
            Assert.Equal("baselines", r.Stage);
            Assert.Equal("tiny-data", r.Dataset);
            // Network-only columns are empty, not zeros that read as settings.
            Assert.Equal("", r.PDims);
            Assert.Null(r.BestEpoch);
            Assert.Null(r.EpochsRun);
            Assert.Null(r.Seed);
            Assert.True(double.IsNaN(r.Lr) && double.IsNaN(r.Loss) && double.IsNaN(r.AnnealCap) && double.IsNaN(r.DropoutEnc));
            Assert.InRange(r.N100, 1e-6, 1);
            Assert.True(r.N100Se > 0);
            Assert.InRange(r.ValN100, 1e-6, 1);
            Assert.True(r.TrainSeconds >= 0 && double.IsFinite(r.TrainSeconds));
        }
        string easeLine = File.ReadLines(resultsPath).Single(l => l.StartsWith(ease[1].RunId + ",", StringComparison.Ordinal));
        var fields = easeLine.Split(',');
        Assert.Equal("10", fields[Array.IndexOf(ResultsCsv.Columns, "lambda")]);
        Assert.Equal("", fields[Array.IndexOf(ResultsCsv.Columns, "best_epoch")]);
        Assert.Equal("ease", fields[Array.IndexOf(ResultsCsv.Columns, "model")]);
        Assert.Equal(ResultsCsv.Format(rows), File.ReadAllText(resultsPath));

        // The metrics are those of the same fit scored by the same evaluator on the same split.
        var data = DatasetLoader.Load(ratings, runs[0].Dataset.Prepare);
        var direct = new Evaluator(1000, 1).Evaluate(EaseScorer.Fit(data.Train, new EaseOptions { Lambda = 10, Threads = 1 }), data.Test.FoldIn, data.Test.Targets);
        Assert.Equal(direct.Get(MetricKind.Ndcg, 100).Mean, ease[1].N100, 9);
        var directPopularity = new Evaluator(1000, 1).Evaluate(PopularityScorer.Fit(data.Train), data.Validation.FoldIn, data.Validation.Targets);
        Assert.Equal(directPopularity.Get(MetricKind.Recall, 20).Mean, popularity.ValR20, 9);

        // A baseline folder is a model folder: config.json, weights, experiment.json, no history.
        string easeFolder = Path.Combine(output, ExperimentRunner.RunsFolder, ease[1].RunId);
        Assert.True(File.Exists(Path.Combine(easeFolder, ExperimentRunInfo.FileName)));
        Assert.False(File.Exists(Path.Combine(easeFolder, ModelStore.HistoryFile)));
        var (scorer, manifest) = ModelFolder.Load(easeFolder);
        Assert.IsType<EaseScorer>(scorer);
        Assert.Equal(10, manifest.Hyperparameters!["lambda"]);

        // A fit killed before config.json was written leaves an incomplete folder: wiped and fitted again.
        string killed = Path.Combine(output, ExperimentRunner.RunsFolder, ease[0].RunId);
        File.Delete(Path.Combine(killed, ModelStore.ConfigFile));
        var second = new ExperimentRunner(output).Run(runs, grid.Name);
        Assert.Equal(1, second.Trained);
        Assert.Equal(3, second.Skipped);
        var third = new ExperimentRunner(output).Run(runs, grid.Name);
        Assert.Equal(0, third.Trained);
        Assert.Equal(4, third.Skipped);
        var after = ResultsCsv.Parse(resultsPath);
        Assert.Equal(4, after.Count);
        Assert.Equal(rows.Select(r => r.RunId).Order(), after.Select(r => r.RunId).Order());
        Assert.Equal(4, SeedSummary.Of(after).Count);
    }

    [Fact]
    public void PlotsAndReportIncludeBaselinesWithoutPerRunFigures()
    {
        using var files = new DataTestFiles();
        var grid = ExperimentGrid.Load(WriteGrid(files, ExperimentFixtures.WriteRatings(files)));
        string output = files.PathOf("out");
        new ExperimentRunner(output).Run(grid.Expand(), grid.Name);

        var size = new FigureSize(320, 200);
        var figures = ExperimentPlots.PlotAll(output, files.PathOf("figures"), size);
        // Two summary figures plus annealing and curves for the one network; none for the baselines.
        Assert.Equal(2 + 2, figures.Count);
        Assert.DoesNotContain(figures, f => Path.GetFileName(f.Path).Contains("ease", StringComparison.Ordinal) || Path.GetFileName(f.Path).Contains("popularity", StringComparison.Ordinal));
        foreach (var figure in figures) Assert.Equal((320, 200), ExperimentFixtures.PngSize(figure.Path));
        // --top picks among the networks, so a baseline at the top of the table does not cost a figure.
        Assert.Equal(2 + 2, ExperimentPlots.PlotAll(output, files.PathOf("top"), size, topRuns: 1).Count);

        string report = files.PathOf("report/report.md");
        Assert.Equal(0, ExperimentFixtures.RunCli("report", "--runs", output, "--output", report, "--top", "3"));
        string markdown = File.ReadAllText(report);
        string best = markdown[markdown.IndexOf("## Best run per model and dataset", StringComparison.Ordinal)..markdown.IndexOf("## All runs", StringComparison.Ordinal)];
        foreach (var model in new[] { "dae", "ease", "popularity" })
            Assert.Contains($"| {model} | tiny-data |", best);
        Assert.Contains("| lambda |", best);
        Assert.DoesNotContain("NaN", markdown);
    }

    [Fact]
    public void AGridOfOnlyBaselinesRunsPlotsAndReportsThroughTheCli()
    {
        using var files = new DataTestFiles();
        string ratings = ExperimentFixtures.WriteRatings(files);
        string grid = files.Write("only.yaml", $"datasets:\n  - path: {ratings}\n    heldout_users: 10\nmodel: [popularity, ease]\nlambda: 5\nthreads: 1\n");
        string output = files.PathOf("out");
        Assert.Equal(0, ExperimentFixtures.RunCli("experiment", "--grid", grid, "--output", output, "--seeds", "1,2"));
        Assert.Equal(2, ResultsCsv.Parse(Path.Combine(output, ResultsCsv.FileName)).Count);
        Assert.Equal(0, ExperimentFixtures.RunCli("experiment", "--grid", grid, "--output", output, "--dry-run"));
        Assert.Equal(0, ExperimentFixtures.RunCli("plot", "--runs", output, "--width", "300", "--height", "200"));
        // NDCG vs dimension only: baselines have no loss, so no metrics-vs-loss figure (it would be empty).
        Assert.Equal(["ndcg-vs-dimension.png"], Directory.GetFiles(Path.Combine(output, "figures"), "*.png").Select(Path.GetFileName));
        Assert.Equal(0, ExperimentFixtures.RunCli("report", "--runs", output));
        Assert.Contains("| popularity |", File.ReadAllText(Path.Combine(output, "report.md")));
    }

    [Fact]
    public void PopularityAndEaseRecommendThroughTheRecommender()
    {
        using var files = new DataTestFiles();
        var grid = ExperimentGrid.Load(WriteGrid(files, ExperimentFixtures.WriteRatings(files)));
        var runs = grid.Expand().Where(r => r.IsBaseline).ToList();
        string output = files.PathOf("out");
        var runner = new ExperimentRunner(output);
        runner.Run(runs, grid.Name);

        var popularityRun = runs.Single(r => r.Kind == ModelCatalogue.Popularity);
        var popularity = Recommender.Load(runner.RunFolder(popularityRun));
        Assert.IsType<PopularityScorer>(popularity.Scorer);
        var counts = ((PopularityScorer)popularity.Scorer).Counts;
        string[] history = [popularity.Manifest.Items[0], popularity.Manifest.Items[3]];
        var answer = popularity.Recommend(history, 5);
        Assert.Equal(5, answer.Items.Count);
        Assert.DoesNotContain(answer.Items, i => history.Contains(i.Id));
        // Every user gets the most clicked items they have not seen, in order of clicks.
        var expected = Enumerable.Range(0, counts.Length).Where(i => i is not 0 and not 3).Select(i => counts[i]).OrderDescending().Take(5);
        Assert.Equal(expected, answer.Items.Select(i => i.Score));

        var easeRun = runs.First(r => r.Kind == ModelCatalogue.Ease);
        var ease = Recommender.Load(runner.RunFolder(easeRun));
        var scorer = Assert.IsType<EaseScorer>(ease.Scorer);
        var scores = new float[scorer.ItemCount];
        scorer.Score(CsrMatrix.FromRows(scorer.ItemCount, [[0, 3]]), 0, 1, scores);
        Assert.Equal(scores, ease.Score(history));
        var top = ease.Recommend(history, 3);
        Assert.Equal(3, top.Items.Count);
        Assert.Equal(scores.Where((_, i) => i is not 0 and not 3).OrderDescending().Take(3), top.Items.Select(i => i.Score));
    }
}
