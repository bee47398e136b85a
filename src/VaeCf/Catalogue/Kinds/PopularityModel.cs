using VaeCf.Baselines;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Split;

namespace VaeCf.Catalogue.Kinds;

/// <summary>Popularity: every item scores its training clicks; saved as the tensor "popularity.counts".</summary>
public sealed class PopularityModel : ClosedFormModel
{
    /// <summary>The model folder's tensor holding the per-item counts.</summary>
    public const string CountsTensor = "popularity.counts";

    /// <inheritdoc/>
    public override string Name => "popularity";
    /// <inheritdoc/>
    public override string ShortName => "popularity";
    /// <inheritdoc/>
    public override string DisplayName => "popularity";
    /// <inheritdoc/>
    public override IReadOnlyList<string> Aliases => ["pop"];

    /// <inheritdoc/>
    public override string Describe(ModelSettings settings, int itemCount) => $"{Name} on {itemCount} items";

    /// <inheritdoc/>
    protected override IScorer Solve(SplitDataset data, ModelSettings settings, IFitObserver observer) => PopularityScorer.Fit(data.Train);

    /// <inheritdoc/>
    public override SavedModel ToSaved(FitResult result, ModelManifest manifest)
    {
        var popularity = (PopularityScorer)result.Scorer;
        return new SavedModel(manifest, [new NamedTensor(CountsTensor, [popularity.ItemCount], popularity.Counts)], new Dictionary<string, string>());
    }

    /// <inheritdoc/>
    public override IScorer Load(string directory, ModelManifest manifest, IReadOnlyDictionary<string, NamedTensor> tensors, GemmEngine? gemm) =>
        new PopularityScorer(ModelStore.Require(tensors, directory, CountsTensor, [manifest.Items.Length]).Data);
}
