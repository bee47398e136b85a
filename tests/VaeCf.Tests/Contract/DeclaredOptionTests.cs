using VaeCf.Catalogue;
using VaeCf.Catalogue.Kinds;
using VaeCf.Experiments;
using VaeCf.Persistence;

namespace VaeCf.Tests.Contract;

/// <summary>
/// Options a kind declares itself (<see cref="ModelDefinition.Options"/>): the test-only kind's
/// exponent, declared only in <see cref="InversePopularityModel"/>, reaches the fit, the checks,
/// config.json and run ids; EASE's lambda reaches them the same way from the CLI and grid files.
/// </summary>
[Collection(ConsoleOutput.Name)]
public class DeclaredOptionTests
{
    private static readonly InversePopularityModel Kind = (InversePopularityModel)ModelContractTests.Catalogue.Kinds.Single(k => k is InversePopularityModel);

    /// <summary>Training users given by their item lists; no held-out users.</summary>
    private static Split.SplitDataset TinyData(int[][] users, int items) => new()
    {
        ItemIds = Enumerable.Range(0, items).Select(i => $"i{i}").ToArray(),
        TrainUserIds = Enumerable.Range(0, users.Length).Select(u => $"u{u}").ToArray(),
        Train = Data.CsrMatrix.FromRows(items, users),
        Validation = new Split.HeldOutSet { UserIds = [], FoldIn = Data.CsrMatrix.FromRows(items, []), Targets = Data.CsrMatrix.FromRows(items, []) },
        Test = new Split.HeldOutSet { UserIds = [], FoldIn = Data.CsrMatrix.FromRows(items, []), Targets = Data.CsrMatrix.FromRows(items, []) },
    };

    [Fact]
    public void ADeclaredOptionIsParsedCheckedAndReachesTheFit()
    {
        var settings = new ModelSettings { Options = Kind.ParseOptions(["exponent=2"], "--option") };
        Assert.Equal(2f, settings.Get(InversePopularityModel.Exponent));
        Assert.Equal(1f, new ModelSettings().Get(InversePopularityModel.Exponent));
        Kind.Validate(settings);

        // Item clicks 3, 1, 0 (hand-counted): scores -(c^2) = -9, -1, 0.
        var data = TinyData([[0, 1], [0], [0]], items: 3);
        var scorer = (InversePopularityModel.FixedScores)FitPipeline.Fit(Kind, data, settings).Scorer;
        Assert.Equal([-9f, -1f, -0f], scorer.Scores);
    }

    [Theory]
    [InlineData("exponent=0", "--option exponent must be a number in (0, 4], got 0.")]
    [InlineData("exponent=lots", "--option exponent must be a number, got 'lots'.")]
    [InlineData("exponnent=2", "unknown option 'exponnent' (did you mean 'exponent'?); inverse popularity declares exponent.")]
    [InlineData("exponent", "--option takes KEY=VALUE, got 'exponent'.")]
    public void ABadDeclaredOptionIsOneLineNamingIt(string assignment, string message)
    {
        var e = Assert.Throws<VaeCfException>(() => Kind.ParseOptions([assignment], "--option"));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void AValueSetInCodeIsCheckedByTheFitsValidation()
    {
        var e = Assert.Throws<VaeCfException>(() => Kind.Validate(new ModelSettings().With(InversePopularityModel.Exponent, 9f)));
        Assert.Equal("exponent must be a number in (0, 4], got 9.", e.Message);
    }

    [Fact]
    public void DeclaredOptionsAreRecordedInConfigJsonAndNameTheRun()
    {
        var data = TinyData([[0, 1], [0], [0]], items: 3);
        var settings = new ModelSettings().With(InversePopularityModel.Exponent, 0.5f);
        var result = FitPipeline.Fit(Kind, data, settings);
        string dir = Path.Combine(Directory.CreateTempSubdirectory("vaecf-declared-").FullName, "model");
        var saved = ModelFolder.Save(dir, result, data, "tiny");
        Assert.Equal(new Dictionary<string, double> { ["exponent"] = 0.5 }, saved.Hyperparameters);
        Assert.Equal(0.5, ModelStore.ReadManifest(dir).Hyperparameters!["exponent"]);

        var dataset = DatasetSpec.FromPath("tiny.csv");
        var half = ExperimentGrid.DescribeDeclared("s", dataset, Kind, settings);
        var one = ExperimentGrid.DescribeDeclared("s", dataset, Kind, new ModelSettings());
        Assert.StartsWith("s-invpop-e0.5-tiny-", half.RunId);
        Assert.NotEqual(half.ConfigId, one.ConfigId);
        Assert.Equal(half.RunId, ExperimentGrid.DescribeDeclared("s", dataset, Kind, settings with { Training = new() { Threads = 3 } }).RunId);
    }

    [Fact]
    public void AGridSweepsADeclaredOptionAndResultsCsvReadsItBack()
    {
        using var files = new DataTestFiles();
        string ratings = ExperimentFixtures.WriteRatings(files);
        var catalogue = ModelContractTests.Catalogue;
        string grid = files.Write("grid.yaml", $"datasets:\n  - path: {ratings}\n    heldout_users: 10\nmodel: invpop\nexponent: [0.5, 2]\nthreads: 1\n");
        var runs = ExperimentGrid.Load(grid, catalogue: catalogue).Expand();
        Assert.Equal([0.5f, 2f], runs.Select(r => r.Settings.Get(InversePopularityModel.Exponent)));
        Assert.All(runs, r => Assert.Same(Kind, r.Kind));

        string output = files.PathOf("out");
        var outcome = new ExperimentRunner(output, catalogue: catalogue).Run(runs);
        Assert.Equal(2, outcome.Trained);
        var rows = ResultsCsv.FromRunFolders(Path.Combine(output, ExperimentRunner.RunsFolder), catalogue);
        Assert.Equal(runs.Select(r => r.RunId).Order(), rows.Select(r => r.RunId).Order());
        Assert.All(rows, r => Assert.Equal("invpop", r.Model));
        Assert.Equal([0.5, 2.0], runs.Select(r => ModelStore.ReadManifest(Path.Combine(output, ExperimentRunner.RunsFolder, r.RunId)).Hyperparameters!["exponent"]));

        // The declaration checks grid values too, and the key is the test kind's only.
        string bad = files.Write("bad.yaml", "datasets: [d.csv]\nmodel: invpop\nexponent: 9\n");
        Assert.Contains("exponent' must be a number in (0, 4], got 9", Assert.Throws<VaeCfException>(() => ExperimentGrid.Load(bad, catalogue: catalogue)).Message);
        string elsewhere = files.Write("elsewhere.yaml", "datasets: [d.csv]\nmodel: ease\nexponent: 2\n");
        Assert.Contains("key 'exponent' does not apply to model ease", Assert.Throws<VaeCfException>(() => ExperimentGrid.Load(elsewhere, catalogue: catalogue)).Message);
        Assert.Contains("unknown key 'exponent'", Assert.Throws<VaeCfException>(() => ExperimentGrid.Load(grid)).Message);
    }

    [Fact]
    public void EaseLambdaComesFromItsDeclarationOnTheCliAndInGrids()
    {
        Assert.Equal(Baselines.EaseOptions.DefaultLambda, EaseModel.Lambda.Default);
        Assert.Contains(EaseModel.Lambda, ModelCatalogue.Ease.Options);
        Assert.Contains("lambda", ExperimentGrid.OptionKeyNames);

        using var files = new DataTestFiles();
        string ratings = ExperimentFixtures.WriteRatings(files);
        string dir = files.PathOf("ease");
        string[] train = ["train", "--data", ratings, "--heldout-users", "10", "--kind", "ease", "--threads", "1", "--no-example"];
        Assert.Equal(0, ExperimentFixtures.RunCli([.. train, "--option", "lambda=30", "--output", dir]));
        Assert.Equal(30, ModelStore.ReadManifest(dir).Hyperparameters!["lambda"]);
        Assert.Equal(0, ExperimentFixtures.RunCli([.. train, "--lambda", "40", "--output", dir, "--overwrite"]));
        Assert.Equal(40, ModelStore.ReadManifest(dir).Hyperparameters!["lambda"]);
        Assert.Equal(2, ExperimentFixtures.RunCli([.. train, "--option", "lambda=0", "--output", files.PathOf("bad")]));
        Assert.Equal(2, ExperimentFixtures.RunCli([.. train, "--option", "lamda=3", "--output", files.PathOf("bad")]));
        Assert.Equal(2, ExperimentFixtures.RunCli(["train", "--data", ratings, "--kind", "vae", "--option", "lambda=3", "--output", files.PathOf("bad")]));
        Assert.False(Directory.Exists(files.PathOf("bad")));
    }
}
