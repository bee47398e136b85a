using VaeCf.Catalogue;
using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Serving;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Tests.Contract;

/// <summary>
/// What every model kind must do, run against every kind of <see cref="Catalogue"/>: fit, save,
/// load with bit-identical scores, recommend without the history, and be measured by the
/// evaluator exactly as NDCG@100 is defined. A new kind is covered by registering it.
/// </summary>
public class ModelContractTests
{
    /// <summary>The shipped kinds plus the test-only one: registering a kind is this one line.</summary>
    public static readonly ModelCatalogue Catalogue = ModelCatalogue.Default.With(new InversePopularityModel());

    public static TheoryData<string> Kinds() => new(Catalogue.Kinds.Select(k => k.Name));

    private static ModelDefinition Kind(string name) => Catalogue.Kinds.Single(k => k.Name == name);

    /// <summary>Small and quick for every kind: three epochs on one thread for a network, lambda 1 for EASE.</summary>
    private static ModelSettings QuickSettings(ModelDefinition kind) => new ModelSettings
    {
        Architecture = kind.DefaultArchitecture is { } a ? a with { PDims = a.PDims.Length > 1 ? [8, 16] : [8] } : null,
        Training = new TrainingOptions { Epochs = 3, BatchSize = 8, Threads = 1, Seed = 3, Anneal = AnnealSchedule.Seed85 },
    }.With(VaeCf.Catalogue.Kinds.EaseModel.Lambda, 1f);

    /// <summary>
    /// A checkerboard: 16 items, even-numbered users click the even items, odd-numbered users the
    /// odd ones. Held-out users show half their block as fold-in and keep the other half as targets.
    /// </summary>
    public static SplitDataset Checkerboard()
    {
        const int items = 16;
        static CsrMatrix Rows(int users, Func<int, IEnumerable<int>> row) =>
            CsrMatrix.FromRows(items, Enumerable.Range(0, users).Select(u => row(u).ToArray()).ToList());
        static IEnumerable<int> Block(int user) => Enumerable.Range(0, items / 2).Select(i => 2 * i + (user % 2));
        // Training users drop one item of their block in turn, so items differ in popularity.
        var train = Rows(32, u => Block(u).Where((_, i) => i != u % 8 || u < 8));
        var foldIn = Rows(6, u => Block(u).Take(4));
        var targets = Rows(6, u => Block(u).Skip(4));
        HeldOutSet Held(string prefix) => new() { UserIds = Enumerable.Range(0, 6).Select(i => $"{prefix}{i}").ToArray(), FoldIn = foldIn, Targets = targets };
        return new SplitDataset
        {
            ItemIds = Enumerable.Range(0, items).Select(i => $"item{i}").ToArray(),
            TrainUserIds = Enumerable.Range(0, 32).Select(i => $"u{i}").ToArray(),
            Train = train,
            Validation = Held("v"),
            Test = Held("t"),
        };
    }

    private static float[] ScoresOf(IScorer scorer, CsrMatrix histories)
    {
        var scores = new float[histories.Rows * scorer.ItemCount];
        scorer.Score(histories, 0, histories.Rows, scores);
        return scores;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FitsSavesAndLoadsWithBitIdenticalScores(string name)
    {
        var kind = Kind(name);
        var data = Checkerboard();
        var result = FitPipeline.Fit(kind, data, QuickSettings(kind));
        Assert.Equal(data.ItemCount, result.Scorer.ItemCount);
        Assert.Equal(kind.IsTrained, result.History.Count > 0);
        string dir = Path.Combine(Directory.CreateTempSubdirectory("vaecf-contract-").FullName, "model");
        var saved = ModelFolder.Save(dir, result, data, "checkerboard");
        Assert.Equal(kind.Name, saved.Model);
        Assert.Equal(ModelManifest.CurrentVersion, saved.Version);
        Assert.Contains(ModelStore.WeightsFile, saved.Files!.Keys);

        var (loaded, manifest) = ModelFolder.Load(dir, new GemmEngine(1), Catalogue);
        Assert.Equal(data.ItemIds, manifest.Items);
        Assert.Equal(ScoresOf(result.Scorer, data.Test.FoldIn), ScoresOf(loaded, data.Test.FoldIn));
        Assert.Equal(result.Test!.Get(MetricKind.Ndcg, 100).Mean, manifest.TestMetrics!["NDCG@100"].Mean);
        // Nothing is left beside the folder by the build-then-swap save.
        Assert.Single(Directory.GetFileSystemEntries(Path.GetDirectoryName(dir)!));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void RecommendationsLeaveTheHistoryOut(string name)
    {
        var kind = Kind(name);
        var data = Checkerboard();
        var result = FitPipeline.Fit(kind, data, QuickSettings(kind));
        string dir = Path.Combine(Directory.CreateTempSubdirectory("vaecf-contract-").FullName, "model");
        ModelFolder.Save(dir, result, data, "checkerboard");
        var (scorer, manifest) = ModelFolder.Load(dir, new GemmEngine(1), Catalogue);
        var recommender = new Recommender(scorer, manifest);
        string[] history = ["item0", "item2", "item4", "item7"];
        var answer = recommender.Recommend(history, k: 16);
        Assert.Equal(12, answer.Items.Count);
        Assert.DoesNotContain(answer.Items, i => history.Contains(i.Id));
        Assert.Equal(answer.Items.Select(i => i.Score).OrderDescending(), answer.Items.Select(i => i.Score));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EvaluationMatchesNdcgComputedByHand(string name)
    {
        var kind = Kind(name);
        var data = Checkerboard();
        var result = FitPipeline.Fit(kind, data, QuickSettings(kind));
        var test = data.Test;
        var scores = ScoresOf(result.Scorer, test.FoldIn);
        double sum = 0;
        for (int u = 0; u < test.UserCount; u++) sum += HandNdcg(scores.AsSpan(u * data.ItemCount, data.ItemCount), test.FoldIn.RowIndices(u), test.Targets.RowIndices(u), 100);
        Assert.Equal(sum / test.UserCount, result.Test!.Get(MetricKind.Ndcg, 100).Mean, 12);
    }

    /// <summary>
    /// NDCG@k straight from its definition: rank the items not in the fold-in by score (ties by
    /// lower index), DCG = sum over hits at rank r (1-based) of 1 / log2(r + 1), divided by the DCG
    /// of min(k, |targets|) hits at the top.
    /// </summary>
    private static double HandNdcg(ReadOnlySpan<float> scores, ReadOnlySpan<int> foldIn, ReadOnlySpan<int> targets, int k)
    {
        var seen = foldIn.ToArray();
        var liked = targets.ToArray();
        var s = scores.ToArray();
        var ranked = Enumerable.Range(0, s.Length).Where(i => !seen.Contains(i)).OrderByDescending(i => s[i]).ThenBy(i => i).Take(k).ToList();
        double dcg = 0;
        for (int r = 0; r < ranked.Count; r++) if (liked.Contains(ranked[r])) dcg += 1 / Math.Log2(r + 2);
        double ideal = 0;
        for (int r = 0; r < Math.Min(k, liked.Length); r++) ideal += 1 / Math.Log2(r + 2);
        return dcg / ideal;
    }

    [Fact]
    public void TheTestOnlyKindScoresWhatItWasDesignedTo()
    {
        // Known answer: each item scores minus its training clicks, for every user alike.
        var data = Checkerboard();
        var result = FitPipeline.Fit(Catalogue.Parse("invpop", "--model"), data, new ModelSettings());
        var counts = data.Train.ColumnCounts();
        var scores = ScoresOf(result.Scorer, data.Test.FoldIn);
        Assert.Equal(counts.Select(c => -(float)c), scores.Take(data.ItemCount));
    }

    [Fact]
    public void AnUnknownKindIsRefusedWithTheValidNamesAndTheNearMiss()
    {
        var e = Assert.Throws<VaeCfException>(() => ModelCatalogue.Default.Parse("eas", "--model"));
        Assert.Equal("--model must be vae, dae, ease, popularity or recvae, got 'eas' (did you mean 'ease'?).", e.Message);
        Assert.Same(ModelCatalogue.Popularity, ModelCatalogue.Default.Parse("pop", "--model"));
        Assert.Same(ModelCatalogue.MultVae, ModelCatalogue.Default.Parse(" Mult-VAE ", "--model"));
        Assert.Contains("(EASE is not accepted here)", Assert.Throws<VaeCfException>(() => ModelCatalogue.Default.Parse("ease", "--model", k => k.IsTrained)).Message);
    }
}
