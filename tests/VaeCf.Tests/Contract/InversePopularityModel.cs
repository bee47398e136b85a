using VaeCf.Catalogue;
using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Split;

namespace VaeCf.Tests.Contract;

/// <summary>
/// A model kind that exists only in the tests: every item scores minus its training clicks. It
/// shows what adding a kind takes (this one class plus one registration line, in
/// <see cref="ModelContractTests.Catalogue"/>) and that the contract suite then covers it. Its one
/// option, <see cref="Exponent"/>, is declared here and nowhere else.
/// </summary>
public sealed class InversePopularityModel : ClosedFormModel
{
    public const string Tensor = "inverse-popularity.scores";

    public override string Name => "inverse-popularity";
    public override string ShortName => "invpop";
    public override string DisplayName => "inverse popularity";

    /// <summary>Scores are minus the click count raised to this power.</summary>
    public static readonly ModelOption<float> Exponent =
        ModelOption.Number("exponent", 1f, "Scores are -(clicks ^ exponent).", v => v > 0 && v <= 4, "a number in (0, 4]");

    public override IReadOnlyList<ModelOption> Options { get; } = [Exponent];

    public override string Describe(ModelSettings settings, int itemCount) => $"{Name} on {itemCount} items";

    protected override IScorer Solve(SplitDataset data, ModelSettings settings, IFitObserver observer) =>
        new FixedScores(data.Train.ColumnCounts().Select(c => -MathF.Pow(c, settings.Get(Exponent))).ToArray());

    public override SavedModel ToSaved(FitResult result, ModelManifest manifest)
    {
        var scores = (FixedScores)result.Scorer;
        return new SavedModel(manifest, [new NamedTensor(Tensor, [scores.ItemCount], scores.Scores)], new Dictionary<string, string>());
    }

    public override IScorer Load(string directory, ModelManifest manifest, IReadOnlyDictionary<string, NamedTensor> tensors, GemmEngine? gemm) =>
        new FixedScores(ModelStore.Require(tensors, directory, Tensor, [manifest.Items.Length]).Data);

    /// <summary>The same score vector for every user.</summary>
    public sealed class FixedScores(float[] scores) : IScorer
    {
        public float[] Scores { get; } = scores;
        public int ItemCount => Scores.Length;

        public void Score(CsrMatrix histories, int rowStart, int rowCount, Span<float> scores)
        {
            for (int r = 0; r < rowCount; r++) Scores.CopyTo(scores.Slice(r * ItemCount, ItemCount));
        }
    }
}
